import {
  MESSAGE_EVENT_TYPES,
  MESSAGE_STREAM_CATEGORY,
  type MessageEvent,
  assertNever,
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
  last_revision: string | number;
}

/** A campaign's messages by status. */
export type CampaignDeliveryRow = { campaign_id: string; tenant_id: string } & Record<
  MessageRowStatus,
  number
>;

const MESSAGES = 'messages';
const DELIVERY = 'campaign_delivery';

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
        last_reply: event.data.smtpReply,
        updated_at: event.data.at,
        last_revision,
      };
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

/**
 * `messages` (one row per message) and `campaign_delivery` (each campaign's messages counted by
 * status), in one projection so both move in the same transaction: a batch folds its messages in
 * memory, writes them with one upsert, and adds the change of each campaign's counts with one
 * more. Redelivered events are skipped by the message row's stream revision, so counts never
 * drift.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  tables: [MESSAGES, DELIVERY],
  filter: { categories: [MESSAGE_STREAM_CATEGORY], eventTypes: [...MESSAGE_EVENT_TYPES] },
  async apply(batch, sql, tables) {
    const messagesTable = quoteIdent(tables[MESSAGES] ?? MESSAGES);
    const deliveryTable = quoteIdent(tables[DELIVERY] ?? DELIVERY);
    const ids = [...new Set(batch.map((e) => (e.data as { messageId: string }).messageId))];
    if (ids.length === 0) return;
    const rows = new Map<string, MessageRow>();
    for (const row of await sql.query<MessageRow>(
      `SELECT * FROM ${messagesTable} WHERE message_id = ANY($1::uuid[])`,
      [ids],
    )) {
      rows.set(row.message_id, row);
    }
    const before = new Map<string, MessageRowStatus | undefined>();
    for (const recorded of batch) {
      const event = recorded as RecordedEvent & MessageEvent;
      const id = event.data.messageId;
      const row = rows.get(id);
      if (row && BigInt(row.last_revision) >= recorded.revision) continue; // already applied
      const next = evolve(row, event, recorded.revision);
      if (!next) continue;
      if (!before.has(id)) before.set(id, row?.status);
      rows.set(id, next);
    }
    if (before.size === 0) return;
    const changed = [...before.keys()].map((id) => rows.get(id)!);
    await upsertRows(sql, messagesTable, quoteIdent('message_id'), changed);
    const deltas = new Map<string, CampaignDeliveryRow>();
    for (const row of changed) {
      const from = before.get(row.message_id);
      if (from === row.status) continue;
      let delta = deltas.get(row.campaign_id);
      if (!delta) {
        delta = { campaign_id: row.campaign_id, tenant_id: row.tenant_id, ...zeroCounts() };
        deltas.set(row.campaign_id, delta);
      }
      if (from) delta[from]--;
      delta[row.status]++;
    }
    if (deltas.size === 0) return;
    const counts = MESSAGE_ROW_STATUSES.map(quoteIdent);
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

const zeroCounts = (): Record<MessageRowStatus, number> => ({
  queued: 0,
  sending: 0,
  sent: 0,
  deferred: 0,
  bounced: 0,
  failed: 0,
  cancelled: 0,
});
