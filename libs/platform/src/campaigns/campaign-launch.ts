import {
  type Campaign,
  type CampaignAudienceExclusions,
  type CampaignCommand,
  type CampaignEvent,
  CampaignError,
  type Message,
  MessageError,
  type MessageEvent,
  campaignDecider,
  evolveAll,
  messageDecider,
  messageIdName,
  toCampaignStreamId,
  toMessageStreamId,
} from '#domain';
import {
  type AppendRequest,
  type EventStore,
  type Position,
  WrongExpectedRevisionError,
  comparePositions,
} from '#event-store';
import type { PersonalDataCodec } from '#privacy';
import type { ProjectionRunner } from '#projections';
import type { DataSource } from 'typeorm';

import {
  type CommandContext,
  type CommandExecutor,
  type CommandResult,
  encodeEvents,
  uuidFromName,
} from '../commands/command-executor.js';

/** Messages per `appendMany` call (one transaction each). */
export const LAUNCH_BATCH_SIZE = 1000;

/** Read models the audience is computed from, and the one the cancel sweep reads. */
const AUDIENCE_READ_MODELS = ['recipients', 'suppressions'] as const;
const MESSAGE_READ_MODELS = ['messages'] as const;

export interface CampaignDeliveryDependencies {
  executor: CommandExecutor;
  store: EventStore;
  codec: PersonalDataCodec;
  readModels: DataSource;
  projections: ProjectionRunner;
  readYourWritesTimeoutMs: number;
  /**
   * Checked before a launch freezes its audience (the plan's monthly quota, payment standing):
   * throws to refuse the launch, which then changes nothing. A number is the launch's send limit
   * (`overQuota: pause`): only that many of the audience are queued, the others held back.
   */
  launchGuard?: (tenantId: string, recipients: number, now: Date) => Promise<number | null | void>;
  /**
   * Resuming a campaign paused for its quota: how many messages the month's quota has left now
   * (null: unlimited); throws to refuse (none left), which then changes nothing.
   */
  releaseGuard?: (tenantId: string, held: number, now: Date) => Promise<number | null>;
}

/** One recipient of a frozen audience, and the campaign list it was found on. */
export interface AudienceMember {
  recipientId: string;
  listId: string;
}

export interface FrozenAudience {
  members: AudienceMember[];
  excluded: CampaignAudienceExclusions;
}

export interface LaunchReport {
  campaignId: string;
  status: Campaign['status'];
  /** Messages of the frozen audience (queued now or by an earlier run). */
  recipients: number;
  /**
   * Message streams queued since this run started, as its appends found them; 0 when a restarted
   * launch found them all queued. Two runs racing may both count a message the other queued (the
   * log still holds it once).
   */
  appended: number;
  /** Stopped because the campaign was cancelled meanwhile (its messages were then cancelled). */
  interrupted: boolean;
  durationMs: number;
  position?: Position;
}

export interface LaunchOptions {
  campaignId: string;
  now: Date;
  /** The scheduler: launch a scheduled campaign only once its `sendAt` has passed. */
  onlyIfDue?: boolean;
  batchSize?: number;
  /** Test hook: called after each batch is appended (throw to simulate a crash). */
  afterBatch?: (batch: number) => void | Promise<void>;
}

const NO_EXCLUSIONS: CampaignAudienceExclusions = {
  suppressed: 0,
  unsubscribed: 0,
  restricted: 0,
  objected: 0,
  erased: 0,
  pending: 0,
};

type Verdict = keyof CampaignAudienceExclusions | 'sendable';

/**
 * Campaign launch and its controls (issue 4, item 2). A launch freezes the audience
 * (`CampaignStarted` with its counts), queues one `MessageQueued` per recipient on its own
 * `message-<id>` stream in bulk appends with deterministic ids, and ends with `CampaignQueued`.
 * Every step can be re-run: a second launch, or one resumed after a crash, finds the campaign
 * started and re-appends the same event ids, which the store answers without writing.
 */
export class CampaignDelivery {
  constructor(private readonly deps: CampaignDeliveryDependencies) {}

  /**
   * The campaign's audience from the read models: members subscribed (at `cutoff` or before) to
   * any of its lists, once each (on the first list in the campaign's order), minus the people who
   * may not be mailed. One query.
   */
  async audienceOf(
    tenantId: string,
    listIds: readonly string[],
    cutoff: Date,
  ): Promise<FrozenAudience> {
    const excluded: { -readonly [K in keyof CampaignAudienceExclusions]: number } = {
      ...NO_EXCLUSIONS,
    };
    const members: AudienceMember[] = [];
    if (listIds.length === 0) return { members, excluded };
    const rows = await this.deps.readModels.query<
      Array<{ recipient_id: string; list_id: string | null; verdict: Verdict }>
    >(
      `WITH per_recipient AS (
         SELECT m.recipient_id,
                (array_agg(m.list_id ORDER BY array_position($2::uuid[], m.list_id))
                   FILTER (WHERE m.status = 'subscribed' AND m.since <= $3))[1] AS list_id,
                bool_or(m.status = 'pending') AS pending
           FROM recipient_memberships m
          WHERE m.tenant_id = $1 AND m.list_id = ANY($2::uuid[])
          GROUP BY m.recipient_id
       )
       SELECT p.recipient_id, p.list_id,
              CASE
                WHEN r.recipient_id IS NULL OR r.status = 'erased' THEN 'erased'
                WHEN r.unsubscribed_all THEN 'unsubscribed'
                WHEN p.list_id IS NULL THEN CASE WHEN p.pending THEN 'pending' ELSE 'unsubscribed' END
                WHEN s.email_index IS NOT NULL THEN 'suppressed'
                WHEN r.objected THEN 'objected'
                WHEN r.restricted THEN 'restricted'
                ELSE 'sendable'
              END AS verdict
         FROM per_recipient p
         LEFT JOIN recipients r ON r.recipient_id = p.recipient_id AND r.tenant_id = $1
         LEFT JOIN suppressions s ON s.tenant_id = $1 AND s.email_index = r.email_index
        ORDER BY p.recipient_id`,
      [tenantId, [...listIds], cutoff.toISOString()],
    );
    for (const row of rows) {
      if (row.verdict === 'sendable') {
        members.push({ recipientId: row.recipient_id, listId: row.list_id! });
      } else {
        excluded[row.verdict]++;
      }
    }
    return { members, excluded };
  }

  /** The id of the message a campaign sends a recipient: the same on every run. */
  messageId(campaignId: string, recipientId: string): string {
    return uuidFromName(messageIdName(campaignId, recipientId));
  }

  async launch(context: CommandContext, options: LaunchOptions): Promise<LaunchReport> {
    const started = Date.now();
    const { campaignId, now } = options;
    const { tenantId } = context;
    const stream = toCampaignStreamId(campaignId);
    let state = await this.deps.executor.read(stream, campaignDecider);
    const report = (
      status: Campaign['status'],
      extra: Partial<LaunchReport> = {},
    ): LaunchReport => ({
      campaignId,
      status,
      recipients: 0,
      appended: 0,
      interrupted: false,
      durationMs: Date.now() - started,
      ...extra,
    });
    if (
      options.onlyIfDue &&
      state.status === 'Scheduled' &&
      Date.parse(state.sendAt) > now.getTime()
    ) {
      return report(state.status);
    }
    let audience: FrozenAudience | undefined;
    let position: Position | undefined;
    let sendLimit: number | null = null;
    if ((state.status === 'Draft' || state.status === 'Scheduled') && state.tenantId === tenantId) {
      await this.catchUp(AUDIENCE_READ_MODELS);
      audience = await this.audienceOf(tenantId, state.listIds, now);
      sendLimit = (await this.deps.launchGuard?.(tenantId, audience.members.length, now)) ?? null;
    }
    const launched = await this.campaignCommand(context, {
      type: 'LaunchCampaign',
      data: {
        campaignId,
        tenantId,
        recipients: audience?.members.length ?? 0,
        excluded: audience?.excluded ?? NO_EXCLUSIONS,
        ...(sendLimit !== null ? { sendLimit } : {}),
      },
      metadata: { now },
    });
    state = launched.state;
    position = launched.position;
    if (state.status !== 'Sending' && state.status !== 'Paused') return report(state.status);
    if (state.queuedMessages !== null) {
      return report(state.status, { recipients: state.queuedMessages, position });
    }
    // A resumed launch looks its batches up first and appends only the missing messages: the
    // store would answer re-appends without writing, but one by one.
    const resumed = !audience || launched.events.length === 0;
    if (resumed || !audience) {
      // Resuming a launch (a crash, a restart, a second call): the same audience, as it stood
      // when the launch started. Messages it already queued are recognised by their ids.
      await this.catchUp(AUDIENCE_READ_MODELS);
      audience = await this.audienceOf(tenantId, state.audience.listIds, new Date(state.startedAt));
    }
    const template = state.template ?? null;
    // The client's guards (expected revision, idempotency key) were for the launch command only.
    const system: CommandContext = {
      ...context,
      commandId: undefined,
      expectedRevision: undefined,
    };
    const before = await this.deps.store.headPosition();
    const batchSize = options.batchSize ?? LAUNCH_BATCH_SIZE;
    let appended = 0;
    let interrupted = false;
    // A launch limited by the quota queues the first members (by recipient id) up to what the
    // quota allowed and released so far: counting those queued before, so a resumed launch or a
    // release picks the next ones.
    const cap = state.limited
      ? state.audience.recipients - state.heldRecipients
      : Number.POSITIVE_INFINITY;
    let counted = 0; // members with a message: queued before or by this run
    const empty = messageDecider.initialState();
    for (let offset = 0, batch = 0; offset < audience.members.length; offset += batchSize) {
      if (counted >= cap) break;
      let slice = audience.members.slice(offset, offset + batchSize);
      if (resumed) {
        const existing = await this.deps.store.readStreams(
          slice.map((m) => toMessageStreamId(this.messageId(campaignId, m.recipientId))),
        );
        const missing = slice.filter(
          (m) =>
            (existing.get(toMessageStreamId(this.messageId(campaignId, m.recipientId))) ?? [])
              .length === 0,
        );
        counted += slice.length - missing.length;
        slice = missing;
      }
      if (state.limited) slice = slice.slice(0, Math.max(0, cap - counted));
      counted += slice.length;
      const requests: AppendRequest[] = await Promise.all(
        slice.map(async ({ recipientId, listId }) => {
          const messageId = this.messageId(campaignId, recipientId);
          const events = messageDecider.decide(
            {
              type: 'QueueMessage',
              data: { messageId, tenantId, campaignId, recipientId, listId, template },
              metadata: { now },
            },
            empty,
          );
          return {
            streamId: toMessageStreamId(messageId),
            events: await encodeEvents(
              this.deps.codec,
              events,
              system,
              uuidFromName(`queue:${messageId}`),
            ),
            expectedRevision: 'no_stream' as const,
          };
        }),
      );
      const results = requests.length > 0 ? await this.deps.store.appendMany(requests) : [];
      for (const result of results) {
        if (!before || comparePositions(result.position, before) > 0) appended++;
        if (!position || comparePositions(result.position, position) > 0) {
          position = result.position;
        }
      }
      await options.afterBatch?.(++batch);
      // Cancelled meanwhile: stop queueing, and cancel what this launch queued.
      const current = await this.deps.executor.read(stream, campaignDecider);
      if (current.status === 'Cancelled') {
        interrupted = true;
        break;
      }
    }
    if (interrupted) {
      await this.cancelMessages(system, campaignId, now);
      return report('Cancelled', {
        recipients: audience.members.length,
        appended,
        interrupted,
        position,
      });
    }
    let completed: CommandResult<Campaign, CampaignEvent>;
    try {
      completed = await this.campaignCommand(system, {
        type: 'CompleteCampaignLaunch',
        data: {
          campaignId,
          tenantId,
          messages: state.limited ? Math.min(counted, cap) : audience.members.length,
        },
        metadata: { now },
      });
    } catch (error) {
      // Cancelled after the last batch: cancel what was queued.
      if (!(error instanceof CampaignError) || error.code !== 'CAMPAIGN_CANCELLED') throw error;
      await this.cancelMessages(system, campaignId, now);
      return report('Cancelled', {
        recipients: audience.members.length,
        appended,
        interrupted: true,
        position,
      });
    }
    return report(completed.state.status, {
      recipients: audience.members.length,
      appended,
      position: completed.position ?? position,
    });
  }

  pause(context: CommandContext, input: { campaignId: string; now: Date }) {
    return this.campaignCommand(context, {
      type: 'PauseCampaign',
      data: { campaignId: input.campaignId, tenantId: context.tenantId },
      metadata: { now: input.now },
    });
  }

  /**
   * Resumes a paused campaign. One paused for its quota asks billing what is left this month
   * (`releaseGuard`: none left refuses, nothing changes), releases up to that many held-back
   * members (`CampaignResumed.released`) and queues them as a resumed launch does.
   */
  async resume(
    context: CommandContext,
    input: { campaignId: string; now: Date },
  ): Promise<CommandResult<Campaign, CampaignEvent>> {
    const { campaignId, now } = input;
    const current = await this.deps.executor.read(toCampaignStreamId(campaignId), campaignDecider);
    let allowance: number | null | undefined;
    if (
      current.status === 'Paused' &&
      current.tenantId === context.tenantId &&
      current.pausedReason === 'quota' &&
      current.heldRecipients > 0
    ) {
      allowance = this.deps.releaseGuard
        ? await this.deps.releaseGuard(context.tenantId, current.heldRecipients, now)
        : null;
    }
    const result = await this.campaignCommand(context, {
      type: 'ResumeCampaign',
      data: {
        campaignId,
        tenantId: context.tenantId,
        ...(allowance !== undefined ? { allowance } : {}),
      },
      metadata: { now },
    });
    if (
      result.events.length === 0 ||
      result.state.status !== 'Sending' ||
      result.state.queuedMessages !== null
    )
      return result;
    // Released: queue the next members of the frozen audience (the launch's resume path).
    const system: CommandContext = {
      ...context,
      commandId: undefined,
      expectedRevision: undefined,
    };
    const queued = await this.launch(system, { campaignId, now });
    const state = await this.deps.executor.read(toCampaignStreamId(campaignId), campaignDecider);
    return { ...result, state, position: queued.position ?? result.position };
  }

  /**
   * Cancels the campaign and every message not sent yet (`MessageCancelled`, in batches). Safe to
   * call again: a cancelled campaign stays as it is, and only messages still waiting are swept.
   */
  async cancel(
    context: CommandContext,
    input: { campaignId: string; reason?: string | null; now: Date },
  ): Promise<{
    result: CommandResult<Campaign, CampaignEvent>;
    cancelledMessages: number;
    /** Where the log stood after the last cancellation: wait for it before reading. */
    position?: Position;
  }> {
    const result = await this.campaignCommand(context, {
      type: 'CancelCampaign',
      data: { campaignId: input.campaignId, tenantId: context.tenantId, reason: input.reason },
      metadata: { now: input.now },
    });
    if (result.state.status !== 'Cancelled' || !result.state.startedAt) {
      return { result, cancelledMessages: 0, position: result.position };
    }
    const system: CommandContext = {
      ...context,
      commandId: undefined,
      expectedRevision: undefined,
    };
    const cancelledMessages = await this.cancelMessages(system, input.campaignId, input.now);
    return {
      result,
      cancelledMessages,
      position: (await this.deps.store.headPosition()) ?? result.position,
    };
  }

  /**
   * `MessageCancelled` for each message of the campaign still queued or deferred, found in the
   * messages read model (caught up first) and decided on each message's own stream. A message in
   * the middle of an SMTP transaction is left to its worker. Returns how many were cancelled.
   */
  async cancelMessages(context: CommandContext, campaignId: string, now: Date): Promise<number> {
    await this.catchUp(MESSAGE_READ_MODELS);
    let after = '00000000-0000-0000-0000-000000000000';
    let cancelled = 0;
    for (;;) {
      const rows = await this.deps.readModels.query<Array<{ message_id: string }>>(
        `SELECT message_id FROM messages
          WHERE campaign_id = $1 AND tenant_id = $2 AND status IN ('queued', 'deferred')
            AND message_id > $3
          ORDER BY message_id LIMIT $4`,
        [campaignId, context.tenantId, after, LAUNCH_BATCH_SIZE],
      );
      if (rows.length === 0) return cancelled;
      after = rows[rows.length - 1]!.message_id;
      cancelled += await this.cancelBatch(
        context,
        rows.map((r) => r.message_id),
        now,
      );
    }
  }

  private async cancelBatch(
    context: CommandContext,
    messageIds: readonly string[],
    now: Date,
  ): Promise<number> {
    const streams = await this.deps.store.readStreams(messageIds.map(toMessageStreamId));
    const decided: Array<{ messageId: string; revision: bigint; events: MessageEvent[] }> = [];
    for (const messageId of messageIds) {
      const recorded = streams.get(toMessageStreamId(messageId)) ?? [];
      const state = evolveAll<Message, MessageEvent>(
        messageDecider,
        recorded as unknown as MessageEvent[],
      );
      const events = this.decideCancel(context, messageId, state, now);
      if (events.length > 0) {
        decided.push({ messageId, revision: recorded.at(-1)!.revision, events });
      }
    }
    if (decided.length === 0) return 0;
    const requests: AppendRequest[] = await Promise.all(
      decided.map(async (d) => ({
        streamId: toMessageStreamId(d.messageId),
        events: await encodeEvents(
          this.deps.codec,
          d.events,
          context,
          uuidFromName(`cancel:${d.messageId}`),
        ),
        expectedRevision: d.revision,
      })),
    );
    try {
      await this.deps.store.appendMany(requests);
      return decided.length;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      // A worker claimed one of them meanwhile: decide each again on its fresh stream.
      let cancelled = 0;
      for (const { messageId } of decided) {
        try {
          const result = await this.deps.executor.handle(
            toMessageStreamId(messageId),
            messageDecider,
            this.cancelCommand(context, messageId, now),
            context,
          );
          cancelled += result.events.length > 0 ? 1 : 0;
        } catch (inner) {
          if (!(inner instanceof MessageError)) throw inner;
        }
      }
      return cancelled;
    }
  }

  private decideCancel(
    context: CommandContext,
    messageId: string,
    state: Message,
    now: Date,
  ): MessageEvent[] {
    try {
      return messageDecider.decide(this.cancelCommand(context, messageId, now), state);
    } catch (error) {
      // Being sent, or finished since the read model saw it: nothing to cancel.
      if (error instanceof MessageError) return [];
      throw error;
    }
  }

  private cancelCommand(context: CommandContext, messageId: string, now: Date) {
    return {
      type: 'CancelMessage',
      data: { messageId, tenantId: context.tenantId, reason: 'campaign_cancelled' },
      metadata: { now },
    } as const;
  }

  private campaignCommand(
    context: CommandContext,
    command: CampaignCommand,
  ): Promise<CommandResult<Campaign, CampaignEvent>> {
    return this.deps.executor.handle(
      toCampaignStreamId(command.data.campaignId),
      campaignDecider,
      command,
      context,
    );
  }

  /** Waits (bounded) until the named read models have applied everything in the log so far. */
  private async catchUp(readModels: readonly string[]): Promise<void> {
    const head = await this.deps.store.lastCommittedPosition();
    if (head) {
      await this.deps.projections.waitFor(head, readModels, this.deps.readYourWritesTimeoutMs);
    }
  }
}
