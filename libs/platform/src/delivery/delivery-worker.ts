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
  type MessageTemplateRef,
  campaignDecider,
  isSendable,
  messageDecider,
  toCampaignStreamId,
  toMessageStreamId,
} from '#domain';
import { type EventStore, type Position, WrongExpectedRevisionError } from '#event-store';
import type { ProjectionRunner } from '#projections';

import type { Audience } from '../audience/audience.service.js';
import type { CommandContext, CommandExecutor } from '../commands/command-executor.js';
import type { RenderedMessage } from '../templates/template-renderer.js';
import { type TemplateService, mergeValuesOf } from '../templates/template.service.js';
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
import { MailTransport } from './mail-transport.js';
import { buildMessageHeaders } from './message-headers.js';
import { type NextAttempt, RetrySchedule } from './retry-schedule.js';
import type { SendOutcome } from './send-outcome.js';
import { SendRateLimiter } from './send-rate-limiter.js';
import type { SendingHealth } from './sending-health.js';
import { SmtpCaptureServer } from './smtp-capture.server.js';

export const DELIVERY_ACTOR = 'system:delivery';

/** How long a claim holds a message: longer than any SMTP transaction (timeouts 30 + 30 + 60 s). */
export const DEFAULT_CLAIM_LEASE_MS = 2 * 60_000;

/** Messages looked at per run; the next run takes the rest. */
export const DEFAULT_DELIVERY_BATCH = 200;

/** Gmail Feedback-ID sender id: the sending platform (one IP pool for now). */
const FEEDBACK_SENDER_ID = 'mailpackr';

/** Compiled bodies kept between runs (template revisions and campaigns' own MJML). */
const MAX_CACHED_BODIES = 200;

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
  templates: TemplateService;
  settings: DeliverySettings;
  /** Suppression after a bounce at SMTP time (hard at once, soft after repeats). */
  policy: BouncePolicy;
  /** Tenants' bounce and complaint rates: the automatic sending pause. */
  health: SendingHealth;
  /** Key of the VERP return path's HMAC (`vault.deriveKey('verp-return-path')`). */
  verpKey: Buffer;
  /** Domain of the VERP return path and of the unsubscribe mailbox. */
  bounceDomain: string;
  /** Base of the links in mail (`AppConfig.publicUrl`). */
  publicUrl: string;
  readYourWritesTimeoutMs: number;
  logger?: DeliveryLogger;
  /** Unique per process (default: host, pid and a random suffix). */
  workerId?: string;
  leaseMs?: number;
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

/** What a run reads once for all its messages. */
interface RunContext {
  clock: () => Date;
  transport: MailTransport;
  campaigns: Map<string, SendingCampaign | undefined>;
  recipients: Map<string, ActiveRecipient | undefined>;
  /** Recipient ids whose address is on their tenant's suppression list. */
  suppressed: Set<string>;
  report: DeliveryRunReport;
}

/**
 * The sending side of delivery (issue 4, item 3). Each run picks due messages from the `messages`
 * read model (queued, deferred and due, or claimed by a worker whose lease lapsed) of campaigns
 * that are sending, oldest first, and for each one:
 *
 * 1. re-checks exclusion from the log (erased, restricted, objecting, unsubscribed from the list or
 *    from all) and the suppression list: an excluded recipient's message is cancelled, no mail;
 * 2. waits for the tenant's token bucket and a slot of the recipient domain's concurrency (a
 *    domain backing off after 421 / 4.7.x is skipped until its pause ends);
 * 3. claims the message (`ClaimMessage`, a lease): a claim lost to another worker is skipped, so
 *    any number of workers on one database send each message once;
 * 4. renders the pinned template revision (or the campaign's own MJML, compiled once) with the
 *    recipient's one-click unsubscribe link, builds the headers (List-Unsubscribe, RFC 8058 POST,
 *    Feedback-ID, VERP Return-Path, Message-ID) and sends it through `MailTransport`;
 * 5. records the outcome: sent, deferred (4xx, no reply) with the retry schedule's next attempt,
 *    bounced (5xx, never retried), failed when the retry window is over.
 *
 * A crash between 4 and 5 is the one duplicate window: the claim lapses and another run sends
 * again, and the new claim records the lapsed one. It is logged by message id; nothing here ever
 * logs an address or any other personal data.
 *
 * The SMTP side is opened on first use (`open()`): with `SMTP_URL` unset that starts the embedded
 * capture server, so only the process that sends binds its port (not the CLI, not `MODE=api`).
 */
export class DeliveryWorker {
  readonly workerId: string;
  readonly #deps: DeliveryWorkerDependencies;
  readonly #limiter: SendRateLimiter;
  readonly #domains: DomainThrottle;
  readonly #bodies = new Map<string, Promise<string>>();
  /** Tenants with verdicts since their rates were last checked (checked at the next run). */
  readonly #unchecked = new Set<string>();
  readonly #leaseMs: number;
  #opening?: Promise<MailTransport>;
  #capture?: SmtpCaptureServer;
  #closed = false;

  constructor(deps: DeliveryWorkerDependencies) {
    this.#deps = deps;
    this.workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = deps.leaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.#limiter = new SendRateLimiter(deps.settings.tenantRate);
    this.#domains = new DomainThrottle(deps.settings.domains);
  }

  /** Messages looked at per run (`runOnce` without a `limit`). */
  get batchSize(): number {
    return this.#deps.batchSize ?? DEFAULT_DELIVERY_BATCH;
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
    const fixed = input.now;
    const clock = fixed ? () => fixed : () => new Date();
    if (input.catchUp !== false) await this.#catchUp();
    await this.#checkHealth(clock());
    const due = await this.#due(
      clock(),
      input.limit ?? this.#deps.batchSize ?? DEFAULT_DELIVERY_BATCH,
    );
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
    };
    await this.#loadRecipients(due, run);
    const lanes = Math.max(1, (this.#deps.settings.transport.maxConnections ?? 5) * 2);
    await forEachConcurrently(due, lanes, async (message) => {
      try {
        await this.#deliver(message, run);
      } catch (error) {
        report.errors++;
        this.#deps.logger?.error(`Message ${message.messageId}: ${describeError(error)}`);
      }
    });
    this.#limiter.prune();
    report.completed = await this.#completeFinished(clock());
    return report;
  }

  /**
   * Campaigns whose launch queued every message and none of whose messages is still queued,
   * being sent or deferred: `CompleteCampaign` (status COMPLETED). The counts must add up to the
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
        completed += result.events.length > 0 ? 1 : 0;
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
    for (const health of await this.#deps.health.check(tenants, now)) {
      if (health.paused) {
        this.#deps.logger?.warn(
          `Tenant ${health.tenantId}: sending paused (${health.paused}: ${health.bounced} bounces, ` +
            `${health.complained} complaints in ${health.messages} messages)`,
        );
      }
    }
  }

  /**
   * Queued, due deferred, and lapsed claims, of campaigns that are sending, of tenants whose
   * sending is not paused; oldest first (the `messages_due` partial index).
   */
  async #due(now: Date, limit: number): Promise<DueMessage[]> {
    const rows = await this.#deps.readModels.query<
      Array<{
        message_id: string;
        tenant_id: string;
        campaign_id: string;
        recipient_id: string;
        list_id: string;
      }>
    >(
      `SELECT m.message_id, m.tenant_id, m.campaign_id, m.recipient_id, m.list_id
         FROM messages m
         JOIN campaigns c ON c.campaign_id = m.campaign_id AND c.tenant_id = m.tenant_id
        WHERE c.status = 'SENDING' AND c.deleted_at IS NULL
          AND m.status IN ('queued', 'deferred', 'sending')
          AND NOT EXISTS (SELECT 1 FROM tenants t
                           WHERE t.tenant_id = m.tenant_id AND t.sending_paused_at IS NOT NULL)
          AND (m.status = 'queued'
               OR (m.status = 'deferred' AND m.next_attempt_at <= $1)
               OR (m.status = 'sending' AND m.updated_at <= $2))
        ORDER BY m.queued_at, m.message_id
        LIMIT $3`,
      [now.toISOString(), new Date(now.getTime() - this.#leaseMs).toISOString(), limit],
    );
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

  async #deliver(due: DueMessage, run: RunContext): Promise<void> {
    const { report } = run;
    const context: CommandContext = { tenantId: due.tenantId, actor: DELIVERY_ACTOR };
    const campaign = run.campaigns.get(due.campaignId);
    if (!campaign) {
      report.skipped++; // paused, cancelled or deleted since the read model saw it
      return;
    }
    const recipient = run.recipients.get(due.recipientId);
    if (
      !recipient ||
      recipient.tenantId !== due.tenantId ||
      !isSendable(recipient, due.listId) ||
      run.suppressed.has(due.recipientId)
    ) {
      await this.#exclude(due, context, run);
      return;
    }
    await this.#takeToken(due.tenantId);
    const domain = domainOfAddress(recipient.email);
    if (!(await this.#domainSlot(domain))) {
      report.skipped++; // the domain asked us to slow down: its messages wait for the pause to end
      return;
    }
    let result: DomainResult = 'failed';
    // The domain's slot is held for the SMTP transaction (and the claim and render before it),
    // not while the outcome is recorded: that is our database, not the destination's.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      release();
    };
    try {
      if (this.#closed) {
        report.skipped++;
        return;
      }
      const claimed = await this.#claim(due, context, run.clock());
      if (!claimed) {
        report.skipped++;
        return;
      }
      // One link, in the List-Unsubscribe header and in the body.
      const unsubscribeUrl = this.#unsubscribeUrl(due, run.clock());
      let rendered: RenderedMessage;
      try {
        rendered = await this.#render(campaign, claimed, recipient, unsubscribeUrl);
      } catch (error) {
        // A template that cannot be rendered will not render on a retry either.
        await this.#record(context, claimed, {
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
      const now = run.clock();
      const next =
        outcome.kind === 'deferred' || outcome.kind === 'failed'
          ? await this.#nextAttempt(claimed, domain, now)
          : undefined;
      const command = outcomeCommand(
        { messageId: due.messageId, tenantId: due.tenantId, workerId: this.workerId },
        outcome,
        () => next ?? { kind: 'expired' },
        now,
      );
      const position = await this.#record(context, claimed, command, outcome);
      report[countOf(command)]++;
      if (command.type === 'RecordMessageSent' || command.type === 'BounceMessage') {
        this.#unchecked.add(due.tenantId);
      }
      if (command.type === 'BounceMessage') {
        await this.#deps.policy.afterBounce(due, command.data.kind ?? 'soft', now, position);
      }
    } finally {
      this.#domains.release(domain, result);
    }
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
      const claimed = await this.#claim(due, context, now);
      if (!claimed) {
        run.report.skipped++;
        return;
      }
      await this.#record(context, claimed, {
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

  /** Claims the message for this worker; undefined when another has it or it is finished. */
  async #claim(
    due: DueMessage,
    context: CommandContext,
    now: Date,
  ): Promise<ClaimedMessage | undefined> {
    try {
      const result = await this.#deps.executor.handle(
        toMessageStreamId(due.messageId),
        messageDecider,
        {
          type: 'ClaimMessage',
          data: {
            messageId: due.messageId,
            tenantId: due.tenantId,
            workerId: this.workerId,
            leaseMs: this.#leaseMs,
          },
          metadata: { now },
        },
        context,
      );
      const event = result.events[0];
      if (event?.type !== 'MessageClaimed' || result.state.status !== 'Claimed') return undefined;
      const lapsed = event.data.expiredClaim;
      if (lapsed) {
        this.#deps.logger?.warn(
          `Message ${due.messageId}: the claim of ${lapsed.workerId} (attempt ${lapsed.attempt}) lapsed without an outcome; ` +
            'sending again, the recipient may get it twice',
        );
      }
      return result.state;
    } catch (error) {
      // Lost the race (another worker claimed it), or it finished or is not due any more.
      if (error instanceof MessageError || error instanceof WrongExpectedRevisionError) {
        return undefined;
      }
      throw error;
    }
  }

  /** Records an outcome; a failure here after a send is the duplicate window, logged by id. */
  async #record(
    context: CommandContext,
    claimed: ClaimedMessage,
    command: OutcomeCommand,
    outcome?: SendOutcome,
  ): Promise<Position | undefined> {
    try {
      const result = await this.#deps.executor.handle(
        toMessageStreamId(claimed.messageId),
        messageDecider,
        command,
        context,
      );
      return result.position;
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

  /** One recipient's copy: the pinned template revision, or the campaign's own MJML. */
  async #render(
    campaign: SendingCampaign,
    message: ClaimedMessage,
    recipient: ActiveRecipient,
    unsubscribeUrl: string,
  ): Promise<RenderedMessage> {
    const values = mergeValuesOf(recipient, {
      unsubscribeUrl,
      // No web view yet: a stable link per message, for when there is one.
      webViewUrl: `${this.#deps.publicUrl}/view/${message.messageId}`,
    });
    const { renderer } = this.#deps.templates;
    const template: MessageTemplateRef | null = message.template ?? campaign.template ?? null;
    if (template) {
      const html = await this.#body(
        `template:${template.templateId}:${template.revision}`,
        async () => {
          const content = await this.#deps.templates.revision(
            campaign.tenantId,
            template.templateId,
            template.revision,
          );
          return content.html;
        },
      );
      return renderer.render(template, html, values);
    }
    const html = await this.#body(`campaign:${campaign.campaignId}`, async () => {
      // A campaign cannot be revised once launched: its MJML is compiled once.
      const compiled = await this.#deps.templates.compiler.compile(campaign.mjmlBody);
      return compiled.html;
    });
    return renderer.render({ templateId: campaign.campaignId, revision: 0 }, html, values);
  }

  /** A compiled body from the cache, or loaded once (concurrent sends wait for the same load). */
  #body(key: string, load: () => Promise<string>): Promise<string> {
    const hit = this.#bodies.get(key);
    if (hit) return hit;
    const loading = load();
    this.#bodies.set(key, loading);
    void loading.catch(() => this.#bodies.delete(key));
    while (this.#bodies.size > MAX_CACHED_BODIES) {
      this.#bodies.delete(this.#bodies.keys().next().value!);
    }
    return loading;
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
