import {
  MESSAGE_EVENT_TYPES,
  MESSAGE_STREAM_CATEGORY,
  type MessageEvent,
  RECIPIENT_STREAM_CATEGORY,
  type RecipientUnsubscribed,
  assertNever,
  bounceKindOf,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { type Projection, quoteIdent, upsertRows } from '../core/projection.js';

export const MESSAGE_ROW_STATUSES = [
  'queued',
  'sending',
  'sent',
  'deferred',
  'bounced',
  'failed',
  'cancelled',
] as const;
export type MessageRowStatus = (typeof MESSAGE_ROW_STATUSES)[number];

export interface MessageRow {
  message_id: string;
  tenant_id: string;
  campaign_id: string;
  recipient_id: string;
  list_id: string;
  status: MessageRowStatus;
  attempts: number;
  last_reply: string | null;
  next_attempt_at: string | Date | null;
  queued_at: string | Date;
  updated_at: string | Date;
  bounce_kind: 'hard' | 'soft' | 'blocked' | null;
  complained_at: string | Date | null;
  unsubscribed_at: string | Date | null;
  last_revision: string | number;
}

/** Counts beside the statuses: bounces by kind, complaints and unsubscribes. */
const EXTRA_COUNTS = [
  'bounced_hard',
  'bounced_soft',
  'bounced_blocked',
  'complained',
  'unsubscribed',
] as const;
type Counts = Record<MessageRowStatus | (typeof EXTRA_COUNTS)[number], number>;

/** A campaign's messages by status, bounce kind, complaint and unsubscribe. */
export type CampaignDeliveryRow = { campaign_id: string; tenant_id: string } & Counts;

/** A tenant's delivery figures for one hour (the automatic sending pause reads these). */
export interface TenantDeliveryHourlyRow {
  tenant_id: string;
  hour: string;
  /** Messages a receiving server gave its verdict on: sent, or bounced at SMTP time. */
  attempted: number;
  bounced: number;
  complained: number;
}

const MESSAGES = 'messages';
const DELIVERY = 'campaign_delivery';
const HOURLY = 'tenant_delivery_hourly';

/** The row after one event; undefined: the event does not apply (no row yet). */
const evolve = (
  row: MessageRow | undefined,
  event: MessageEvent,
  revision: bigint,
): MessageRow | undefined => {
  const last_revision = revision.toString();
  if (event.type === 'MessageQueued') {
    if (row) return { ...row, last_revision };
    const { data } = event;
    return {
      message_id: data.messageId,
      tenant_id: data.tenantId,
      campaign_id: data.campaignId,
      recipient_id: data.recipientId,
      list_id: data.listId,
      status: 'queued',
      attempts: 0,
      last_reply: null,
      next_attempt_at: null,
      queued_at: data.queuedAt,
      updated_at: data.queuedAt,
      bounce_kind: null,
      complained_at: null,
      unsubscribed_at: null,
      last_revision,
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'MessageClaimed':
      return {
        ...row,
        status: 'sending',
        attempts: event.data.attempt,
        next_attempt_at: null,
        updated_at: event.data.claimedAt,
        last_revision,
      };
    case 'MessageSent':
      return {
        ...row,
        status: 'sent',
        last_reply: event.data.smtpReply,
        updated_at: event.data.sentAt,
        last_revision,
      };
    case 'MessageDeferred':
      return {
        ...row,
        status: 'deferred',
        last_reply: event.data.smtpReply,
        next_attempt_at: event.data.nextAttemptAt,
        updated_at: event.data.deferredAt,
        last_revision,
      };
    case 'MessageBounced':
      return {
        ...row,
        status: 'bounced',
        bounce_kind: bounceKindOf(event.data),
        last_reply: event.data.smtpReply,
        next_attempt_at: null,
        updated_at: event.data.at,
        last_revision,
      };
    case 'MessageComplained':
      return { ...row, complained_at: row.complained_at ?? event.data.at, last_revision };
    case 'MessageFailed':
      return {
        ...row,
        status: 'failed',
        last_reply: event.data.reason,
        next_attempt_at: null,
        updated_at: event.data.at,
        last_revision,
      };
    case 'MessageCancelled':
      return {
        ...row,
        status: 'cancelled',
        next_attempt_at: null,
        updated_at: event.data.at,
        last_revision,
      };
    default:
      return assertNever(event);
  }
};

/** The hour of a tenant's delivery figures an event counts in, and what it adds. */
const hourlyDelta = (
  event: MessageEvent,
): { at: string; attempted: number; bounced: number; complained: number } | undefined => {
  switch (event.type) {
    case 'MessageSent':
      return { at: event.data.sentAt, attempted: 1, bounced: 0, complained: 0 };
    case 'MessageBounced':
      // A bounce at SMTP time is also the server's verdict; a later one (DSN, webhook) follows a send.
      return {
        at: event.data.at,
        attempted: (event.data.source ?? 'smtp') === 'smtp' ? 1 : 0,
        bounced: 1,
        complained: 0,
      };
    case 'MessageComplained':
      return { at: event.data.at, attempted: 0, bounced: 0, complained: 1 };
    case 'MessageQueued':
    case 'MessageClaimed':
    case 'MessageDeferred':
    case 'MessageFailed':
    case 'MessageCancelled':
      return undefined;
    default:
      return assertNever(event);
  }
};

const hourOf = (at: string): string => {
  const date = new Date(at);
  date.setUTCMinutes(0, 0, 0);
  return date.toISOString();
};

/**
 * `messages` (one row per message), `campaign_delivery` (each campaign's messages counted by
 * status, bounce kind, complaint and unsubscribe) and `tenant_delivery_hourly` (each tenant's
 * verdicts, bounces and complaints by hour), in one projection so all move in the same
 * transaction: a batch folds its messages in memory, writes them with one upsert, and adds the
 * changes of the counts with one more each. Redelivered events are skipped by the message row's
 * stream revision (an unsubscribe by the row's `unsubscribed_at`), so counts never drift.
 *
 * Unsubscribes come from the recipient's stream: a `RecipientUnsubscribed` that names the message
 * whose link or mailto carried it.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  tables: [MESSAGES, DELIVERY, HOURLY],
  filter: {
    categories: [MESSAGE_STREAM_CATEGORY, RECIPIENT_STREAM_CATEGORY],
    eventTypes: [...MESSAGE_EVENT_TYPES, 'RecipientUnsubscribed'],
  },
  async apply(batch, sql, tables) {
    const messagesTable = quoteIdent(tables[MESSAGES] ?? MESSAGES);
    const deliveryTable = quoteIdent(tables[DELIVERY] ?? DELIVERY);
    const hourlyTable = quoteIdent(tables[HOURLY] ?? HOURLY);
    const ids = [
      ...new Set(
        batch
          .map((e) => (e.data as { messageId?: unknown }).messageId)
          .filter((id): id is string => typeof id === 'string'),
      ),
    ];
    if (ids.length === 0) return;
    const rows = new Map<string, MessageRow>();
    for (const row of await sql.query<MessageRow>(
      `SELECT * FROM ${messagesTable} WHERE message_id = ANY($1::uuid[])`,
      [ids],
    )) {
      rows.set(row.message_id, row);
    }
    const before = new Map<string, MessageRow | undefined>();
    const hourly = new Map<string, TenantDeliveryHourlyRow>();
    for (const recorded of batch) {
      const id = (recorded.data as { messageId?: unknown }).messageId;
      if (typeof id !== 'string') continue;
      const row = rows.get(id);
      let next: MessageRow | undefined;
      if (recorded.type === 'RecipientUnsubscribed') {
        const { data } = recorded as unknown as RecipientUnsubscribed;
        if (!row || row.unsubscribed_at || row.recipient_id !== data.recipientId) continue;
        next = { ...row, unsubscribed_at: data.unsubscribedAt };
      } else {
        const event = recorded as RecordedEvent & MessageEvent;
        if (row && BigInt(row.last_revision) >= recorded.revision) continue; // already applied
        next = evolve(row, event, recorded.revision);
        if (!next) continue;
        // Counted once per message: a second complaint, or a hard bounce reported after a softer
        // one (the kind changes, not the number of bounces), adds nothing to the hour.
        const counted =
          (event.type === 'MessageComplained' && row?.complained_at) ||
          (event.type === 'MessageBounced' && row?.status === 'bounced');
        const figures = counted ? undefined : hourlyDelta(event);
        if (figures) {
          const hour = hourOf(figures.at);
          const key = `${next.tenant_id}/${hour}`;
          const sum = hourly.get(key) ?? {
            tenant_id: next.tenant_id,
            hour,
            attempted: 0,
            bounced: 0,
            complained: 0,
          };
          sum.attempted += figures.attempted;
          sum.bounced += figures.bounced;
          sum.complained += figures.complained;
          hourly.set(key, sum);
        }
      }
      if (!before.has(id)) before.set(id, row);
      rows.set(id, next);
    }
    if (before.size === 0) return;
    const changed = [...before.keys()].map((id) => rows.get(id)!);
    await upsertRows(sql, messagesTable, quoteIdent('message_id'), changed);
    const deltas = new Map<string, CampaignDeliveryRow>();
    for (const row of changed) {
      const from = before.get(row.message_id);
      const change = countsChange(from, row);
      if (!change) continue;
      let delta = deltas.get(row.campaign_id);
      if (!delta) {
        delta = { campaign_id: row.campaign_id, tenant_id: row.tenant_id, ...zeroCounts() };
        deltas.set(row.campaign_id, delta);
      }
      for (const [name, by] of change) delta[name] += by;
    }
    if (hourly.size > 0) {
      await sql.query(
        `INSERT INTO ${hourlyTable} AS h (tenant_id, hour, attempted, bounced, complained)
         SELECT tenant_id, hour, attempted, bounced, complained
           FROM jsonb_populate_recordset(NULL::${hourlyTable}, $1::jsonb)
         ON CONFLICT (tenant_id, hour) DO UPDATE SET
           attempted = h.attempted + EXCLUDED.attempted,
           bounced = h.bounced + EXCLUDED.bounced,
           complained = h.complained + EXCLUDED.complained`,
        [JSON.stringify([...hourly.values()])],
      );
    }
    if (deltas.size === 0) return;
    const counts = [...MESSAGE_ROW_STATUSES, ...EXTRA_COUNTS].map(quoteIdent);
    await sql.query(
      `INSERT INTO ${deliveryTable} AS d (campaign_id, tenant_id, ${counts.join(', ')})
       SELECT campaign_id, tenant_id, ${counts.join(', ')}
         FROM jsonb_populate_recordset(NULL::${deliveryTable}, $1::jsonb)
       ON CONFLICT (campaign_id) DO UPDATE SET
         ${counts.map((c) => `${c} = d.${c} + EXCLUDED.${c}`).join(', ')}`,
      [JSON.stringify([...deltas.values()])],
    );
  },
};

const zeroCounts = (): Counts => ({
  queued: 0,
  sending: 0,
  sent: 0,
  deferred: 0,
  bounced: 0,
  failed: 0,
  cancelled: 0,
  bounced_hard: 0,
  bounced_soft: 0,
  bounced_blocked: 0,
  complained: 0,
  unsubscribed: 0,
});

/** What moving a message row from `from` to `to` changes in its campaign's counts. */
const countsChange = (
  from: MessageRow | undefined,
  to: MessageRow,
): Array<[keyof Counts, number]> | undefined => {
  const change: Array<[keyof Counts, number]> = [];
  if (from?.status !== to.status) {
    if (from) change.push([from.status, -1]);
    change.push([to.status, 1]);
  }
  const kind = (row: MessageRow | undefined) =>
    row?.status === 'bounced' && row.bounce_kind ? row.bounce_kind : null;
  if (kind(from) !== kind(to)) {
    if (kind(from)) change.push([`bounced_${kind(from)!}`, -1]);
    if (kind(to)) change.push([`bounced_${kind(to)!}`, 1]);
  }
  if (!from?.complained_at && to.complained_at) change.push(['complained', 1]);
  if (!from?.unsubscribed_at && to.unsubscribed_at) change.push(['unsubscribed', 1]);
  return change.length > 0 ? change : undefined;
};
