import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { DataSource } from 'typeorm';

import {
  type ActiveRecipient,
  type Campaign,
  CampaignError,
  type Message,
  MessageError,
  type MessageClaimed,
  type MessageEvent,
  campaignDecider,
  isSendable,
  messageDecider,
  toCampaignStreamId,
  toMessageStreamId,
} from '#domain';
import {
  type AppendRequest,
  type EventStore,
  type Position,
  WrongExpectedRevisionError,
} from '#event-store';
import type { ProjectionRunner } from '#projections';

import type { Audience } from '../audience/audience.service.js';
import type { CommandContext, CommandExecutor } from '../commands/command-executor.js';
import type { RenderedMessage } from '../templates/template-renderer.js';
import type { WebViewLinks } from '../web-view/web-view-links.js';
import type { DeliverySettings } from './delivery-settings.js';
import {
  type OutcomeCommand,
  fromHeader,
  outcomeCommand,
  redactAddresses,
} from './delivery-outcome.js';
import {
  type DomainResult,
  DomainThrottle,
  domainOfAddress,
  domainResultOf,
} from './domain-throttle.js';
import type { BouncePolicy } from './bounce-policy.js';
import { GroupCommitWriter } from './group-commit.js';
import { MailTransport } from './mail-transport.js';
import type { MessageRenderer } from './message-renderer.js';
import { buildMessageHeaders } from './message-headers.js';
import { type NextAttempt, RetrySchedule } from './retry-schedule.js';
import type { SendOutcome } from './send-outcome.js';
import { SendRateLimiter } from './send-rate-limiter.js';
import type { SendingHealth } from './sending-health.js';
import { SmtpCaptureServer } from './smtp-capture.server.js';

export const DELIVERY_ACTOR = 'system:delivery';

/** How long a claim holds a message: longer than any SMTP transaction (timeouts 30 + 30 + 60 s). */
export const DEFAULT_CLAIM_LEASE_MS = 2 * 60_000;

/**
 * Messages looked at per run (the next run takes the rest): the first run's size and the least
 * any run takes. Runs grow (up to `MAX_DELIVERY_BATCH`) to what the worker sends in about
 * `DELIVERY_ROUND_MS`: a run's set-up and its last sends leave connections idle, so short runs
 * waste a fast worker's time, while a run's campaigns and recipients are read once at its start,
 * so a pause, a cancel or an unsubscribe reaches the messages of the next run.
 */
export const DEFAULT_DELIVERY_BATCH = 200;
/** The most a run takes, however fast the worker sends. */
export const MAX_DELIVERY_BATCH = 1000;
/** How long a run (of full size) aims to take. */
export const DELIVERY_ROUND_MS = 1000;

/**
 * The size of the run after a full one of `size` messages that took `elapsedMs`: what the worker
 * sends in `DELIVERY_ROUND_MS` at that pace, between `DEFAULT_DELIVERY_BATCH` and
 * `MAX_DELIVERY_BATCH`.
 */
export const nextBatchSize = (size: number, elapsedMs: number): number => {
  const paced = elapsedMs > 0 ? Math.round((size * DELIVERY_ROUND_MS) / elapsedMs) : Infinity;
  return Math.min(MAX_DELIVERY_BATCH, Math.max(DEFAULT_DELIVERY_BATCH, paced));
};

/** Messages claimed together: one `readStreams`, one `appendMany` (one commit). */
export const CLAIM_CHUNK = 50;

/** Tries of a chunk's claims that lost a race for a stream, before claiming one by one. */
const CLAIM_CHUNK_ATTEMPTS = 3;

/**
 * Outcomes written together (group commit): at most this many, after at most this long. Lanes do
 * not wait for the write, so the delay costs them nothing; fewer, larger commits cost PostgreSQL
 * less per message (pipeline bench, 5,000 messages: 10 ms gave groups of ~1.5 outcomes, 50 ms
 * about 5, and halved PostgreSQL CPU per message). The round flushes at its end without waiting.
 */
export const OUTCOME_GROUP = { maxRequests: 50, maxDelayMs: 50 } as const;

/** Gmail Feedback-ID sender id: the sending platform (one IP pool for now). */
const FEEDBACK_SENDER_ID = 'mailpackr';

/** Read models the due query and the suppression check read. */
const DELIVERY_READ_MODELS = ['messages', 'campaigns', 'suppressions', 'tenants'] as const;

export interface DeliveryLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DeliveryWorkerDependencies {
  executor: CommandExecutor;
  store: EventStore;
  readModels: DataSource;
  projections: ProjectionRunner;
  audience: Audience;
  /** Renders each recipient's copy (shared with the web view). */
  renderer: MessageRenderer;
  /** Signs each message's "view in your browser" link. */
  webViewLinks: WebViewLinks;
  settings: DeliverySettings;
  /** Suppression after a bounce at SMTP time (hard at once, soft after repeats). */
  policy: BouncePolicy;
  /** Tenants' bounce and complaint rates: the automatic sending pause. */
  health: SendingHealth;
  /** Key of the VERP return path's HMAC (`vault.deriveKey('verp-return-path')`). */
  verpKey: Buffer;
  /** Domain of the VERP return path and of the unsubscribe mailbox. */
  bounceDomain: string;
  readYourWritesTimeoutMs: number;
  logger?: DeliveryLogger;
  /** Unique per process (default: host, pid and a random suffix). */
  workerId?: string;
  leaseMs?: number;
  /** A fixed size for every run (tests); unset, runs adapt (see `DEFAULT_DELIVERY_BATCH`). */
  batchSize?: number;
}

export class DeliveryError extends Error {
  constructor(
    readonly code: 'SMTP_CAPTURE_UNAVAILABLE' | 'DELIVERY_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** What one run did, in counts (never addresses). */
export interface DeliveryRunReport {
  /** Due messages found in the read model. */
  due: number;
  sent: number;
  deferred: number;
  bounced: number;
  failed: number;
  /** Recipient excluded at send time (`MessageCancelled`, reason `recipient_excluded`). */
  cancelled: number;
  /** Claimed by another worker, finished meanwhile, campaign no longer sending, domain backing off. */
  skipped: number;
  /** Unexpected errors (logged by message id); the run went on with the other messages. */
  errors: number;
  /** Campaigns this run found finished (`CampaignCompleted`), from the read models it read. */
  completed: number;
}

/** One due message, from the `messages` read model. */
interface DueMessage {
  messageId: string;
  tenantId: string;
  campaignId: string;
  recipientId: string;
  listId: string;
}

type SendingCampaign = Extract<Campaign, { status: 'Sending' }>;
type ClaimedMessage = Extract<Message, { status: 'Claimed' }>;

/** A claim this worker holds: the claimed state, and the stream revision of the claim. */
interface Claim {
  state: ClaimedMessage;
  revision: bigint;
}

/** A message to send: its recipient, and its claim once taken (`undefined`: claim it alone). */
interface Sendable {
  due: DueMessage;
  campaign: SendingCampaign;
  recipient: ActiveRecipient;
  claim?: Claim;
}

/** What a run reads once for all its messages. */
interface RunContext {
  clock: () => Date;
  transport: MailTransport;
  campaigns: Map<string, SendingCampaign | undefined>;
  recipients: Map<string, ActiveRecipient | undefined>;
  /** Recipient ids whose address is on their tenant's suppression list. */
  suppressed: Set<string>;
  report: DeliveryRunReport;
  /** The round's outcomes, written in groups (flushed before the round returns). */
  outcomes: GroupCommitWriter;
  /** Recording of outcomes still under way (each settles on its own: counts, logs). */
  recording: Array<Promise<void>>;
}

/**
 * The sending side of delivery (issue 4, item 3). Each run picks due messages from the `messages`
 * read model (queued, deferred and due, or claimed by a worker whose lease lapsed) of campaigns
 * that are sending, oldest first, and for each one:
 *
 * 1. re-checks exclusion from the log (erased, restricted, objecting, unsubscribed from the list or
 *    from all) and the suppression list: an excluded recipient's message is cancelled, no mail;
 * 2. claims the messages to send a chunk at a time (`ClaimMessage`, a lease; `CLAIM_CHUNK` of them
 *    with one `readStreams` and one `appendMany`, each decided by the message decider and appended
 *    at its stream's revision): a claim lost to another worker is skipped, so any number of
 *    workers on one database send each message once; a chunk that keeps losing races is claimed
 *    one message at a time. A recipient domain backing off (after 421 / 4.7.x) is not claimed;
 * 3. in lanes, waits for the tenant's token bucket and a slot of the recipient domain's
 *    concurrency (a claimed message whose domain started backing off meanwhile is deferred to the
 *    end of the pause, unattempted);
 * 4. renders the pinned template revision (or the campaign's own MJML, compiled once) with the
 *    recipient's one-click unsubscribe link, builds the headers (List-Unsubscribe, RFC 8058 POST,
 *    Feedback-ID, VERP Return-Path, Message-ID) and sends it through `MailTransport`;
 * 5. records the outcome: sent, deferred (4xx, no reply) with the retry schedule's next attempt,
 *    bounced (5xx, never retried), failed when the retry window is over. Each outcome is decided
 *    against the claim this worker holds and written at the claim's revision by the round's
 *    group writer (`GroupCommitWriter`: one `appendMany` per `OUTCOME_GROUP`), while the lane
 *    goes on; a round returns only once all its outcomes are written (or logged as not written).
 *
 * A crash between 4 and 5 is the one duplicate window: the claim lapses and another run sends
 * again, and the new claim records the lapsed one. Group writes widen it by at most the group's
 * delay (an outcome waiting for its group when the process dies is lost like one whose append
 * was under way): the same window, the same recovery. It is logged by message id; nothing here
 * ever logs an address or any other personal data.
 *
 * The SMTP side is opened on first use (`open()`): with `SMTP_URL` unset that starts the embedded
 * capture server, so only the process that sends binds its port (not the CLI, not `MODE=api`).
 */
export class DeliveryWorker {
  readonly workerId: string;
  readonly #deps: DeliveryWorkerDependencies;
  readonly #limiter: SendRateLimiter;
  readonly #domains: DomainThrottle;
  /** Tenants with verdicts since their rates were last checked (checked at the next run). */
  readonly #unchecked = new Set<string>();
  readonly #leaseMs: number;
  /** Per campaign, the last queued message the previous run was given (see `#due`). */
  readonly #queuedAfter = new Map<string, string>();
  #opening?: Promise<MailTransport>;
  #capture?: SmtpCaptureServer;
  #closed = false;
  /** The next run's size when `batchSize` is not fixed (see `nextBatchSize`). */
  #adaptiveBatch = DEFAULT_DELIVERY_BATCH;

  constructor(deps: DeliveryWorkerDependencies) {
    this.#deps = deps;
    this.workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = deps.leaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.#limiter = new SendRateLimiter(deps.settings.tenantRate);
    this.#domains = new DomainThrottle(deps.settings.domains);
  }

  /** Messages the next run looks at (`runOnce` without a `limit`). */
  get batchSize(): number {
    return this.#deps.batchSize ?? this.#adaptiveBatch;
  }

  /** The embedded capture server, once open (undefined with `SMTP_URL` set). */
  get capture(): SmtpCaptureServer | undefined {
    return this.#capture;
  }

  /** The folder the capture server writes `.eml` files to (undefined with `SMTP_URL` set). */
  get outboxDir(): string | undefined {
    return this.#deps.settings.capture?.dir;
  }

  /**
   * Erasure: deletes the recipient's mail from the embedded outbox (each `.eml` holds the address
   * and the personalised content in clear). Found by message id, from the `messages` read model.
   * Returns how many files went; 0 with `SMTP_URL` set (the mail left this machine).
   */
  async forgetRecipient(tenantId: string, recipientId: string): Promise<number> {
    const dir = this.outboxDir;
    if (!dir) return 0;
    const rows = await this.#deps.readModels.query<Array<{ message_id: string }>>(
      'SELECT message_id FROM messages WHERE tenant_id = $1 AND recipient_id = $2',
      [tenantId, recipientId],
    );
    if (rows.length === 0) return 0;
    let files: string[];
    try {
      files = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const ids = rows.map((r) => r.message_id.toLowerCase());
    const theirs = files.filter((f) => f.endsWith('.eml') && ids.some((id) => f.includes(id)));
    await Promise.all(theirs.map((f) => rm(join(dir, f), { force: true })));
    return theirs.length;
  }

  /**
   * Opens the SMTP side: starts the capture server when `SMTP_URL` is unset (a taken port is a
   * `SMTP_CAPTURE_UNAVAILABLE` error naming it), then the transport's pool. Idempotent.
   */
  async open(): Promise<void> {
    await this.#transport();
  }

  /** Waits for sends under way, closes the SMTP pool, then the capture server. */
  async close(): Promise<void> {
    this.#closed = true;
    const transport = await this.#opening?.catch(() => undefined);
    await transport?.close();
    await this.#capture?.close();
  }

  /**
   * One round: up to `limit` due messages (default 200). `now` fixes the clock of the round (tests);
   * without it every event gets the time it happens. `catchUp` (default true) first waits, bounded,
   * for the read models the round reads.
   */
  async runOnce(
    input: { now?: Date; limit?: number; catchUp?: boolean } = {},
  ): Promise<DeliveryRunReport> {
    const transport = await this.#transport();
    const started = performance.now();
    const fixed = input.now;
    const clock = fixed ? () => fixed : () => new Date();
    if (input.catchUp !== false) await this.#catchUp();
    await this.#checkHealth(clock());
    const limit = input.limit ?? this.batchSize;
    const due = await this.#due(clock(), limit);
    const report: DeliveryRunReport = {
      due: due.length,
      sent: 0,
      deferred: 0,
      bounced: 0,
      failed: 0,
      cancelled: 0,
      skipped: 0,
      errors: 0,
      completed: 0,
    };
    if (due.length === 0) {
      report.completed = await this.#completeFinished(clock());
      return report;
    }
    const run: RunContext = {
      clock,
      transport,
      campaigns: await this.#sendingCampaigns(due),
      recipients: new Map(),
      suppressed: new Set(),
      report,
      outcomes: new GroupCommitWriter(this.#deps.store, {
        ...OUTCOME_GROUP,
        onGroupFailed: (error, requests) =>
          this.#deps.logger?.warn(
            `${requests} outcomes could not be written together (${describeError(error)}); writing them one by one`,
          ),
      }),
      recording: [],
    };
    await this.#loadRecipients(due, run);
    const lanes = Math.max(1, (this.#deps.settings.transport.maxConnections ?? 5) * 2);
    const excluded: DueMessage[] = [];
    const sendable: Sendable[] = [];
    for (const message of due) {
      const outcome = this.#sendable(message, run);
      if (outcome === 'skipped') report.skipped++;
      else if (outcome === 'excluded') excluded.push(message);
      else sendable.push(outcome);
    }
    try {
      await forEachConcurrently(excluded, lanes, (message) =>
        this.#guarded(message, run, () =>
          this.#exclude(message, { tenantId: message.tenantId, actor: DELIVERY_ACTOR }, run),
        ),
      );
      const claims = this.#claimFeed(sendable, lanes, run);
      await forEachConcurrently(Array.from({ length: lanes }), lanes, async () => {
        for (let next = await claims(); next; next = await claims()) {
          const message = next;
          await this.#guarded(message.due, run, () => this.#deliver(message, run));
        }
      });
    } finally {
      // The round's outcomes are all written (or have failed, logged) before it returns.
      await run.outcomes.flush();
      while (run.recording.length > 0) {
        await Promise.all(run.recording.splice(0));
        await run.outcomes.flush();
      }
    }
    this.#limiter.prune();
    report.completed = await this.#completeFinished(clock());
    if (input.limit === undefined && due.length === limit) {
      this.#adaptiveBatch = nextBatchSize(limit, performance.now() - started);
    }
    return report;
  }

  /**
   * Campaigns whose launch queued every message and none of whose messages is still queued,
   * being sent or deferred: `CompleteCampaign` (status COMPLETED; PAUSED for the quota when the
   * launch still holds members back, and those already paused for it are left alone). The counts must add up to the
   * queued messages first, so a messages read model behind the campaigns one completes nothing
   * early (a stale count only ever shows more outstanding, never less).
   */
  async #completeFinished(now: Date): Promise<number> {
    const rows = await this.#deps.readModels.query<
      Array<{ campaign_id: string; tenant_id: string }>
    >(
      `SELECT c.campaign_id, c.tenant_id
         FROM campaigns c
         LEFT JOIN campaign_delivery d ON d.campaign_id = c.campaign_id
        WHERE c.status IN ('SENDING', 'PAUSED') AND c.deleted_at IS NULL
          AND c.paused_reason IS DISTINCT FROM 'quota'
          AND c.queued_messages IS NOT NULL
          AND COALESCE(d.queued, 0) + COALESCE(d.sending, 0) + COALESCE(d.deferred, 0) = 0
          AND COALESCE(d.sent + d.bounced + d.failed + d.cancelled, 0) = c.queued_messages
        LIMIT 100`,
    );
    let completed = 0;
    for (const row of rows) {
      try {
        const result = await this.#deps.executor.handle(
          toCampaignStreamId(row.campaign_id),
          campaignDecider,
          {
            type: 'CompleteCampaign',
            data: { campaignId: row.campaign_id, tenantId: row.tenant_id },
            metadata: { now },
          },
          { tenantId: row.tenant_id, actor: DELIVERY_ACTOR },
        );
        // A campaign paused for its quota (members held back) is not counted as completed.
        completed += result.events.length > 0 && result.state.status === 'Completed' ? 1 : 0;
      } catch (error) {
        if (!(error instanceof CampaignError)) throw error;
      }
    }
    return completed;
  }

  #transport(): Promise<MailTransport> {
    if (this.#closed) {
      return Promise.reject(new DeliveryError('DELIVERY_CLOSED', 'Delivery is closed'));
    }
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #open(): Promise<MailTransport> {
    const { settings } = this.#deps;
    let url = settings.transport.url;
    if (settings.capture) {
      try {
        this.#capture = await SmtpCaptureServer.start(settings.capture);
      } catch (error) {
        throw new DeliveryError(
          'SMTP_CAPTURE_UNAVAILABLE',
          `The embedded SMTP capture server cannot listen on ${settings.capture.host ?? '127.0.0.1'}:${settings.capture.port ?? 0} (${describeError(error)}). ` +
            'Free the port or choose another with MAILPACKR_SMTP_CAPTURE_PORT (0: any free port), ' +
            'set SMTP_URL, or turn sending off in this process with MAILPACKR_DELIVERY_INTERVAL_MS=0.',
        );
      }
      url = this.#capture.url;
    }
    return new MailTransport({ ...settings.transport, url });
  }

  async #catchUp(): Promise<void> {
    const head = await this.#deps.store.lastCommittedPosition();
    if (head) {
      await this.#deps.projections.waitFor(
        head,
        DELIVERY_READ_MODELS,
        this.#deps.readYourWritesTimeoutMs,
      );
    }
  }

  /** The rates of the tenants that had verdicts since the last check: pauses those over a limit. */
  async #checkHealth(now: Date): Promise<void> {
    if (this.#unchecked.size === 0) return;
    const tenants = [...this.#unchecked];
    this.#unchecked.clear();
    await this.#deps.health.check(tenants, now);
  }

  /**
   * Queued, due deferred, and lapsed claims, of campaigns that are sending, of tenants whose
   * sending is not paused; oldest first. Each sending campaign's messages of each due status are
   * read in order from `messages_campaign_status_page` (campaign, status, message id), at most
   * `limit` of each, so a run costs the page it takes, not the campaign: one query over every due
   * row, sorted, read all of a 100k campaign's rows on every run, and an index walk in queue order
   * would step over every message of a paused campaign queued earlier.
   *
   * Queued messages are read on from the last one the previous run was given (`#queuedAfter`, per
   * campaign), not from the start: the index entries of the messages sent since are dead until a
   * vacuum, and stepping over them cost a 100k campaign 85 ms a run. A page that comes back short
   * is read again from the start, so a message left behind (its domain backing off, a message
   * queued later by a quota release) is always found, and "nothing due" is always true.
   */
  async #due(now: Date, limit: number): Promise<DueMessage[]> {
    const read = (after: ReadonlyMap<string, string>) => {
      const columns =
        'm.message_id, m.tenant_id, m.campaign_id, m.recipient_id, m.list_id, m.queued_at, m.status';
      const page = (condition: string) =>
        `(SELECT ${columns} FROM messages m
           WHERE m.campaign_id = c.campaign_id AND m.tenant_id = c.tenant_id AND ${condition}
           ORDER BY m.message_id LIMIT $3)`;
      return this.#deps.readModels.query<
        Array<{
          message_id: string;
          tenant_id: string;
          campaign_id: string;
          recipient_id: string;
          list_id: string;
          status: string;
        }>
      >(
        `SELECT d.message_id, d.tenant_id, d.campaign_id, d.recipient_id, d.list_id, d.status
           FROM campaigns c
           LEFT JOIN unnest($4::uuid[], $5::uuid[]) AS a (campaign_id, after)
             ON a.campaign_id = c.campaign_id
          CROSS JOIN LATERAL (
            ${page(`m.status = 'queued' AND m.message_id > COALESCE(a.after, '00000000-0000-0000-0000-000000000000')`)}
            UNION ALL ${page(`m.status = 'deferred' AND m.next_attempt_at <= $1`)}
            UNION ALL ${page(`m.status = 'sending' AND m.updated_at <= $2`)}
          ) d
          WHERE c.status = 'SENDING' AND c.deleted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM tenants t
                             WHERE t.tenant_id = c.tenant_id AND t.sending_paused_at IS NOT NULL)
          ORDER BY d.queued_at, d.message_id
          LIMIT $3`,
        [
          now.toISOString(),
          new Date(now.getTime() - this.#leaseMs).toISOString(),
          limit,
          [...after.keys()],
          [...after.values()],
        ],
      );
    };
    let rows = await read(this.#queuedAfter);
    if (rows.length < limit && this.#queuedAfter.size > 0) rows = await read(new Map());
    this.#queuedAfter.clear();
    for (const row of rows) {
      // Ids come back in the index's order (uuid order is the order of their lower-case text).
      const last = this.#queuedAfter.get(row.campaign_id);
      if (row.status === 'queued' && (!last || row.message_id > last)) {
        this.#queuedAfter.set(row.campaign_id, row.message_id);
      }
    }
    return rows.map((row) => ({
      messageId: row.message_id,
      tenantId: row.tenant_id,
      campaignId: row.campaign_id,
      recipientId: row.recipient_id,
      listId: row.list_id,
    }));
  }

  /** The campaigns of these messages, from the log; undefined for one that is not sending. */
  async #sendingCampaigns(
    due: readonly DueMessage[],
  ): Promise<Map<string, SendingCampaign | undefined>> {
    const campaigns = new Map<string, SendingCampaign | undefined>();
    for (const { campaignId, tenantId } of due) {
      if (campaigns.has(campaignId)) continue;
      const state = await this.#deps.executor.read(toCampaignStreamId(campaignId), campaignDecider);
      campaigns.set(
        campaignId,
        state.status === 'Sending' && state.tenantId === tenantId ? state : undefined,
      );
    }
    return campaigns;
  }

  /** The recipients from the log (one read) and which of them are suppressed (one query per tenant). */
  async #loadRecipients(due: readonly DueMessage[], run: RunContext): Promise<void> {
    const ids = [...new Set(due.map((m) => m.recipientId))];
    const loaded = await this.#deps.audience.loadMany(ids);
    const byTenant = new Map<string, Map<string, string>>();
    for (const id of ids) {
      const state = loaded.get(id)?.state;
      const active = state?.status === 'Active' ? state : undefined;
      run.recipients.set(id, active);
      if (!active) continue;
      const indexes = byTenant.get(active.tenantId) ?? new Map<string, string>();
      byTenant.set(active.tenantId, indexes);
      indexes.set(active.emailIndex, id);
    }
    for (const [tenantId, indexes] of byTenant) {
      const suppressed = await this.#deps.audience.suppressions(tenantId, [...indexes.keys()]);
      for (const index of suppressed.keys()) run.suppressed.add(indexes.get(index)!);
    }
  }

  /** Runs one message's work; an unexpected error is counted and logged by message id. */
  async #guarded(due: DueMessage, run: RunContext, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      run.report.errors++;
      this.#deps.logger?.error(`Message ${due.messageId}: ${describeError(error)}`);
    }
  }

  /** Whether a due message is to be sent, skipped (campaign not sending) or cancelled (excluded). */
  #sendable(due: DueMessage, run: RunContext): Sendable | 'skipped' | 'excluded' {
    const campaign = run.campaigns.get(due.campaignId);
    if (!campaign) return 'skipped'; // paused, cancelled or deleted since the read model saw it
    const recipient = run.recipients.get(due.recipientId);
    if (
      !recipient ||
      recipient.tenantId !== due.tenantId ||
      !isSendable(recipient, due.listId) ||
      run.suppressed.has(due.recipientId)
    ) {
      return 'excluded';
    }
    return { due, campaign, recipient };
  }

  /**
   * The round's messages to send, claimed a chunk at a time (`#claimChunk`: one read, one append)
   * and handed to the lanes one by one; the next chunk is claimed while the lanes send this one.
   * Resolves undefined once every message has been handed out.
   */
  #claimFeed(
    messages: readonly Sendable[],
    lanes: number,
    run: RunContext,
  ): () => Promise<Sendable | undefined> {
    const ready: Sendable[] = [];
    let next = 0;
    let claiming: Promise<void> | undefined;
    const fill = (): Promise<void> => {
      if (!claiming) {
        const chunk = messages.slice(next, next + CLAIM_CHUNK);
        next += chunk.length;
        claiming = this.#claimChunk(chunk, run)
          .then(
            (claimed) => {
              ready.push(...claimed);
            },
            (error: unknown) => {
              for (const { due } of chunk) {
                run.report.errors++;
                this.#deps.logger?.error(`Message ${due.messageId}: ${describeError(error)}`);
              }
            },
          )
          .finally(() => {
            claiming = undefined;
          });
      }
      return claiming;
    };
    return async () => {
      for (;;) {
        const message = ready.shift();
        if (message) {
          if (ready.length < lanes && next < messages.length) void fill();
          return message;
        }
        if (next >= messages.length && !claiming) return undefined;
        await fill();
      }
    };
  }

  /**
   * Claims a chunk of messages together; returns those to send (a message whose bulk claim could
   * not be written comes back without a claim: `#deliver` claims it alone). Never rejects.
   */
  async #claimChunk(chunk: readonly Sendable[], run: RunContext): Promise<Sendable[]> {
    const open: Sendable[] = [];
    for (const message of chunk) {
      // Not claimed, so nothing lapses: the worker is closing, or the domain asked us to slow down.
      const blocked = this.#domains.blockedUntil(domainOfAddress(message.recipient.email));
      if (this.#closed || blocked > Date.now()) run.report.skipped++;
      else open.push(message);
    }
    if (open.length === 0) return [];
    let claims: Array<Claim | undefined> | undefined;
    try {
      claims = await this.#claimMany(
        open.map((m) => m.due),
        run.clock(),
      );
    } catch (error) {
      this.#deps.logger?.warn(
        `${open.length} messages could not be claimed together (${describeError(error)}); claiming them one by one`,
      );
    }
    if (!claims) return open;
    const claimed: Sendable[] = [];
    open.forEach((message, i) => {
      const claim = claims[i];
      if (claim) claimed.push({ ...message, claim });
      else run.report.skipped++; // claimed by another worker, finished, or not due any more
    });
    return claimed;
  }

  /**
   * `ClaimMessage` for many messages with one `readStreams` and one `appendMany`: each decided by
   * the message decider on its own stream, each appended at that stream's revision. A message the
   * decider refuses (claimed by another worker, finished, not due) gets undefined. When another
   * writer moved one of the streams meanwhile (`WrongExpectedRevisionError`: nothing was written
   * on the SQL adapters) the chunk is read and decided again; after `CLAIM_CHUNK_ATTEMPTS` tries,
   * undefined for the whole chunk: claim them one by one.
   */
  async #claimMany(
    dues: readonly DueMessage[],
    now: Date,
  ): Promise<Array<Claim | undefined> | undefined> {
    const { executor, store } = this.#deps;
    const streamIds = dues.map((d) => toMessageStreamId(d.messageId));
    // The same command id per message on every try: a claim a previous try did write (a store
    // that is not all or nothing) is recognised as this worker's.
    const commandIds = dues.map(() => randomUUID());
    for (let attempt = 1; attempt <= CLAIM_CHUNK_ATTEMPTS; attempt++) {
      const streams = await executor.readMany(streamIds, messageDecider);
      const claims: Array<Claim | undefined> = dues.map(() => undefined);
      const requests: AppendRequest[] = [];
      const decided: Array<{ index: number; state: ClaimedMessage; event: MessageClaimed }> = [];
      for (const [index, due] of dues.entries()) {
        const streamId = streamIds[index]!;
        const commandId = commandIds[index]!;
        const { state, revision, recorded } = streams.get(streamId)!;
        if (recorded.at(-1)?.metadata.commandId === commandId) {
          if (state.status === 'Claimed') claims[index] = { state, revision };
          continue;
        }
        const events = this.#decideClaim(due, state, now);
        const event = events[0];
        if (event?.type !== 'MessageClaimed') continue;
        const claimed = messageDecider.evolve(state, event);
        if (claimed.status !== 'Claimed') continue;
        const context: CommandContext = { tenantId: due.tenantId, actor: DELIVERY_ACTOR };
        requests.push({
          streamId,
          events: await executor.encode(events, context, commandId),
          expectedRevision: revision < 0n ? 'no_stream' : revision,
        });
        decided.push({ index, state: claimed, event });
      }
      let results;
      try {
        results = requests.length > 0 ? await store.appendMany(requests) : [];
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) continue; // lost a race: read again
        throw error;
      }
      decided.forEach(({ index, state, event }, k) => {
        claims[index] = { state, revision: results[k]!.nextExpectedRevision };
        this.#warnLapsed(state.messageId, event);
      });
      return claims;
    }
    return undefined;
  }

  /** The decider's claim events for a message ([] when it refuses: claimed, finished, not due). */
  #decideClaim(due: DueMessage, state: Message, now: Date): MessageEvent[] {
    try {
      return messageDecider.decide(this.#claimCommand(due, now), state);
    } catch (error) {
      if (error instanceof MessageError) return [];
      throw error;
    }
  }

  #claimCommand(due: DueMessage, now: Date) {
    return {
      type: 'ClaimMessage' as const,
      data: {
        messageId: due.messageId,
        tenantId: due.tenantId,
        workerId: this.workerId,
        leaseMs: this.#leaseMs,
      },
      metadata: { now },
    };
  }

  #warnLapsed(messageId: string, event: MessageClaimed): void {
    const lapsed = event.data.expiredClaim;
    if (lapsed) {
      this.#deps.logger?.warn(
        `Message ${messageId}: the claim of ${lapsed.workerId} (attempt ${lapsed.attempt}) lapsed without an outcome; ` +
          'sending again, the recipient may get it twice',
      );
    }
  }

  /**
   * One message, in a lane: the tenant's token, the domain's slot, render, send. The outcome is
   * decided here and recorded in the background (`run.recording`, grouped with other lanes'
   * outcomes), so the lane goes on with the next message while it is written.
   */
  async #deliver(message: Sendable, run: RunContext): Promise<void> {
    const { due, campaign, recipient } = message;
    const { report } = run;
    const context: CommandContext = { tenantId: due.tenantId, actor: DELIVERY_ACTOR };
    await this.#takeToken(due.tenantId);
    const domain = domainOfAddress(recipient.email);
    if (!(await this.#domainSlot(domain))) {
      // The domain asked us to slow down: its messages wait for the pause to end.
      if (message.claim) {
        await this.#notAttempted(
          run,
          context,
          message.claim,
          'the domain is backing off',
          this.#domains.blockedUntil(domain),
        );
      }
      report.skipped++;
      return;
    }
    let result: DomainResult = 'failed';
    // The domain's slot is held for the SMTP transaction (and the claim and render before it),
    // not while the outcome is recorded: that is our database, not the destination's.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#domains.release(domain, result);
    };
    try {
      if (this.#closed) {
        if (message.claim) {
          release();
          await this.#notAttempted(run, context, message.claim, 'the worker is closing', 0);
        }
        report.skipped++;
        return;
      }
      const claim = message.claim ?? (await this.#claim(due, context, run.clock()));
      if (!claim) {
        report.skipped++;
        return;
      }
      const claimed = claim.state;
      // One link, in the List-Unsubscribe header and in the body.
      const unsubscribeUrl = this.#unsubscribeUrl(due, run.clock());
      let rendered: RenderedMessage;
      try {
        rendered = await this.#render(campaign, claimed, recipient, unsubscribeUrl, run.clock());
      } catch (error) {
        release();
        // A template that cannot be rendered will not render on a retry either.
        await this.#record(run, context, claim, {
          type: 'FailMessage',
          data: {
            messageId: due.messageId,
            tenantId: due.tenantId,
            workerId: this.workerId,
            reason: `cannot render the message: ${describeError(error)}`,
          },
          metadata: { now: run.clock() },
        });
        report.failed++;
        return;
      }
      const built = buildMessageHeaders(
        {
          tenantId: due.tenantId,
          campaignId: due.campaignId,
          messageId: due.messageId,
          recipientId: due.recipientId,
        },
        {
          unsubscribeUrl,
          unsubscribeMailto: `unsubscribe@${this.#deps.bounceDomain}`,
          bounceDomain: this.#deps.bounceDomain,
          verpKey: this.#deps.verpKey,
          feedbackSenderId: FEEDBACK_SENDER_ID,
        },
      );
      const outcome = await run.transport.send({
        from: fromHeader(campaign.fromName, campaign.fromAddress),
        to: recipient.email,
        envelopeFrom: built.envelopeFrom,
        subject: campaign.subject,
        html: rendered.html,
        text: rendered.text,
        headers: built.headers,
      });
      result = domainResultOf(outcome);
      release();
      if (outcome.kind === 'failed') {
        this.#deps.logger?.warn(
          `Message ${due.messageId}: no reply from the SMTP server (${redactAddresses(outcome.reason)}); ` +
            'deferred. If the connection broke after DATA the message may have arrived: a retry can duplicate it.',
        );
      }
      run.recording.push(
        this.#guarded(due, run, () =>
          this.#recordOutcome(run, due, context, claim, outcome, domain),
        ),
      );
    } finally {
      release();
    }
  }

  /** Records what SMTP said (grouped), counts it, and applies the bounce policy to a bounce. */
  async #recordOutcome(
    run: RunContext,
    due: DueMessage,
    context: CommandContext,
    claim: Claim,
    outcome: SendOutcome,
    domain: string,
  ): Promise<void> {
    const now = run.clock();
    const next =
      outcome.kind === 'deferred' || outcome.kind === 'failed'
        ? await this.#nextAttempt(claim.state, domain, now)
        : undefined;
    const command = outcomeCommand(
      { messageId: due.messageId, tenantId: due.tenantId, workerId: this.workerId },
      outcome,
      () => next ?? { kind: 'expired' },
      now,
    );
    const position = await this.#record(run, context, claim, command, outcome);
    run.report[countOf(command)]++;
    if (command.type === 'RecordMessageSent' || command.type === 'BounceMessage') {
      this.#unchecked.add(due.tenantId);
    }
    if (command.type === 'BounceMessage') {
      await this.#deps.policy.afterBounce(due, command.data.kind ?? 'soft', now, position);
    }
  }

  /**
   * A claimed message this worker will not attempt after all (its domain started backing off,
   * or the worker is closing): deferred to when it may go, rather than left for its claim to
   * lapse (which would read as a possible duplicate). Counted as skipped, as before claims were
   * taken in chunks.
   */
  async #notAttempted(
    run: RunContext,
    context: CommandContext,
    claim: Claim,
    reason: string,
    until: number,
  ): Promise<void> {
    const now = run.clock();
    await this.#record(run, context, claim, {
      type: 'DeferMessage',
      data: {
        messageId: claim.state.messageId,
        tenantId: claim.state.tenantId,
        workerId: this.workerId,
        smtpReply: `not attempted: ${reason}`,
        nextAttemptAt: new Date(Math.max(until, now.getTime() + 1000)),
      },
      metadata: { now },
    });
  }

  /** The recipient may no longer be mailed: cancel the message (or, under a lapsed claim, fail it). */
  async #exclude(due: DueMessage, context: CommandContext, run: RunContext): Promise<void> {
    const now = run.clock();
    try {
      const result = await this.#deps.executor.handle(
        toMessageStreamId(due.messageId),
        messageDecider,
        {
          type: 'CancelMessage',
          data: { messageId: due.messageId, tenantId: due.tenantId, reason: 'recipient_excluded' },
          metadata: { now },
        },
        context,
      );
      if (result.events.length > 0) run.report.cancelled++;
      else run.report.skipped++;
    } catch (error) {
      if (!(error instanceof MessageError)) throw error;
      if (error.code !== 'MESSAGE_CLAIMED') {
        run.report.skipped++; // finished meanwhile
        return;
      }
      // A claim that lapsed without an outcome cannot be cancelled: take it over and give up.
      const claim = await this.#claim(due, context, now);
      if (!claim) {
        run.report.skipped++;
        return;
      }
      await this.#record(run, context, claim, {
        type: 'FailMessage',
        data: {
          messageId: due.messageId,
          tenantId: due.tenantId,
          workerId: this.workerId,
          reason: 'recipient_excluded',
        },
        metadata: { now },
      });
      run.report.failed++;
    }
  }

  /** Claims one message for this worker; undefined when another has it or it is finished. */
  async #claim(due: DueMessage, context: CommandContext, now: Date): Promise<Claim | undefined> {
    try {
      const result = await this.#deps.executor.handle(
        toMessageStreamId(due.messageId),
        messageDecider,
        this.#claimCommand(due, now),
        context,
      );
      const event = result.events[0];
      if (event?.type !== 'MessageClaimed' || result.state.status !== 'Claimed') return undefined;
      this.#warnLapsed(due.messageId, event);
      return { state: result.state, revision: result.revision };
    } catch (error) {
      // Lost the race (another worker claimed it), or it finished or is not due any more.
      if (error instanceof MessageError || error instanceof WrongExpectedRevisionError) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Records an outcome: decided against the claim this worker holds (pure), then appended at the
   * claim's revision through the round's group writer, with other messages' outcomes in one
   * `appendMany`. When the group cannot be written (another worker took over a lapsed claim),
   * this one is written alone by the executor, deciding again on the stream as it is. A failure
   * here after a send is the duplicate window, logged by id.
   */
  async #record(
    run: RunContext,
    context: CommandContext,
    claim: Claim,
    command: OutcomeCommand,
    outcome?: SendOutcome,
  ): Promise<Position | undefined> {
    const { executor } = this.#deps;
    const claimed = claim.state;
    const streamId = toMessageStreamId(claimed.messageId);
    // Alone with the same command id: an outcome the group did write is recognised, not repeated.
    const commandId = randomUUID();
    const alone = async () => {
      const result = await executor.handle(streamId, messageDecider, command, {
        ...context,
        commandId,
      });
      return result.position;
    };
    try {
      const events = messageDecider.decide(command, claimed);
      if (events.length === 0) return await alone();
      return await run.outcomes.append({
        request: {
          streamId,
          events: await executor.encode(events, context, commandId),
          expectedRevision: claim.revision,
        },
        alone,
      });
    } catch (error) {
      if (outcome) {
        this.#deps.logger?.error(
          `Message ${claimed.messageId}: SMTP said ${outcome.kind} but the outcome was not recorded (${describeError(error)}); ` +
            `its claim lapses at ${claimed.claim.leaseUntil} and a later run may send it again (possible duplicate)`,
        );
      }
      throw error;
    }
  }

  /** The retry schedule's answer for a deferred message (window counted from its first claim). */
  async #nextAttempt(claimed: ClaimedMessage, domain: string, now: Date): Promise<NextAttempt> {
    let firstAttemptAt = new Date(claimed.claim.claimedAt);
    if (claimed.claim.attempt > 1) {
      const history = await this.#deps.store.readStream(toMessageStreamId(claimed.messageId));
      const first = history.find((e) => e.type === 'MessageClaimed');
      const at = (first?.data as { claimedAt?: unknown } | undefined)?.claimedAt;
      if (typeof at === 'string') firstAttemptAt = new Date(at);
    }
    const schedule = new RetrySchedule(
      this.#deps.settings.retry,
      () => now.getTime(),
      Math.random,
      this.#domains,
    );
    return schedule.nextAttemptAt(claimed.claim.attempt, domain, firstAttemptAt);
  }

  #unsubscribeUrl(due: DueMessage, now: Date): string {
    return this.#deps.audience.unsubscribeLinks.url(
      {
        tenantId: due.tenantId,
        recipientId: due.recipientId,
        listId: due.listId,
        campaignId: due.campaignId,
      },
      now,
    );
  }

  /** One recipient's copy (`MessageRenderer`), with its signed web-view link. */
  #render(
    campaign: SendingCampaign,
    message: ClaimedMessage,
    recipient: ActiveRecipient,
    unsubscribeUrl: string,
    now: Date,
  ): Promise<RenderedMessage> {
    return this.#deps.renderer.render(campaign, message, recipient, {
      unsubscribeUrl,
      webViewUrl: this.#deps.webViewLinks.url(
        { tenantId: message.tenantId, messageId: message.messageId },
        now,
      ),
    });
  }

  async #takeToken(tenantId: string): Promise<void> {
    for (;;) {
      const answer = this.#limiter.tryAcquire(tenantId);
      if (answer.ok) return;
      await sleep(Math.min(Math.max(answer.retryInMs, 1), 1000));
    }
  }

  /** A concurrency slot at the domain; false while the domain is backing off. */
  async #domainSlot(domain: string): Promise<boolean> {
    for (;;) {
      const answer = this.#domains.tryAcquire(domain);
      if (answer.ok) return true;
      if (answer.reason === 'backoff') return false;
      await sleep(5);
    }
  }
}

const countOf = (command: OutcomeCommand): 'sent' | 'deferred' | 'bounced' | 'failed' => {
  switch (command.type) {
    case 'RecordMessageSent':
      return 'sent';
    case 'DeferMessage':
      return 'deferred';
    case 'BounceMessage':
      return 'bounced';
    case 'FailMessage':
      return 'failed';
  }
};

/** An error for a log line: its code and message, addresses blanked. */
const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return redactAddresses(`${typeof code === 'string' ? `${code}: ` : ''}${error.message}`);
};

/** Runs `fn` over `items` with at most `limit` at a time. */
const forEachConcurrently = async <T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
};
