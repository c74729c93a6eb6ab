import {
  type AddressSuppressed,
  type AddressSuppressionLifted,
  RECIPIENT_STREAM_CATEGORY,
  SUPPRESSION_STREAM_CATEGORY,
  type RecipientErased,
  type RecipientUnsubscribed,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { type Projection, type SqlExecutor, quoteIdent } from '../core/projection.js';

/** Why an address must not be mailed again. A stronger reason replaces a weaker one. */
export const SUPPRESSION_REASONS = [
  'manual',
  'unsubscribed',
  'soft_bounces',
  'hard_bounce',
  'complaint',
  'erased',
] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface SuppressionRow {
  tenant_id: string;
  /** Keyed HMAC of the address's identity key: the address itself is never stored here. */
  email_index: string;
  reason: SuppressionReason;
  reason_rank: number;
  /** The recipient it came from; cleared once that recipient is erased. */
  recipient_id: string | null;
  suppressed_at: string | Date;
  updated_at: string | Date;
}

const TABLE = 'suppressions';
const rank = (reason: SuppressionReason): number => SUPPRESSION_REASONS.indexOf(reason);

const entryOf = (recorded: RecordedEvent): SuppressionRow | undefined => {
  switch (recorded.type) {
    case 'RecipientUnsubscribed': {
      const { data } = recorded as unknown as RecipientUnsubscribed;
      if (data.listId !== null) return undefined;
      return row(
        data.tenantId,
        data.emailIndex,
        'unsubscribed',
        data.recipientId,
        data.unsubscribedAt,
      );
    }
    case 'RecipientErased': {
      const { data } = recorded as unknown as RecipientErased;
      return row(data.tenantId, data.emailIndex, 'erased', null, data.erasedAt);
    }
    case 'AddressSuppressed': {
      const { data } = recorded as unknown as AddressSuppressed;
      return row(
        data.tenantId,
        data.emailIndex,
        data.reason ?? 'manual',
        data.recipientId ?? null,
        data.suppressedAt,
      );
    }
    default:
      return undefined;
  }
};

const row = (
  tenant_id: string,
  email_index: string,
  reason: SuppressionReason,
  recipient_id: string | null,
  at: string,
): SuppressionRow => ({
  tenant_id,
  email_index,
  reason,
  reason_rank: rank(reason),
  recipient_id,
  suppressed_at: at,
  updated_at: at,
});

/** Folds two entries for one address: the earliest date, the strongest reason, no id once erased. */
const merge = (a: SuppressionRow, b: SuppressionRow): SuppressionRow => {
  const strongest = b.reason_rank > a.reason_rank ? b : a;
  const erased = a.reason === 'erased' || b.reason === 'erased';
  return {
    ...strongest,
    recipient_id: erased ? null : (strongest.recipient_id ?? a.recipient_id ?? b.recipient_id),
    suppressed_at: a.suppressed_at < b.suppressed_at ? a.suppressed_at : b.suppressed_at,
    updated_at: a.updated_at > b.updated_at ? a.updated_at : b.updated_at,
  };
};

/**
 * `suppressions`: per tenant, the keyed HMAC of every address that must never be mailed again,
 * with the strongest reason and the first date. Merging is commutative and idempotent (earliest
 * date, strongest reason), so redelivery and replay give the same rows.
 */
export const suppressionsProjection: Projection = {
  name: 'suppressions',
  tables: [TABLE],
  filter: {
    categories: [RECIPIENT_STREAM_CATEGORY, SUPPRESSION_STREAM_CATEGORY],
    eventTypes: [
      'RecipientUnsubscribed',
      'RecipientErased',
      'AddressSuppressed',
      'AddressSuppressionLifted',
    ],
  },
  async apply(batch, sql, tables) {
    const table = quoteIdent(tables[TABLE] ?? TABLE);
    // Entries merge in any order; a lift does not, so the entries before it are written first.
    let merged = new Map<string, SuppressionRow>();
    for (const recorded of batch) {
      if (recorded.type === 'AddressSuppressionLifted') {
        await upsert(sql, table, merged);
        merged = new Map();
        await lift(sql, table, (recorded as unknown as AddressSuppressionLifted).data);
        continue;
      }
      const entry = entryOf(recorded);
      if (!entry) continue;
      const key = `${entry.tenant_id}:${entry.email_index}`;
      const earlier = merged.get(key);
      merged.set(key, earlier ? merge(earlier, entry) : entry);
    }
    await upsert(sql, table, merged);
    // An erased recipient may have been suppressed under an earlier address too (corrected
    // since): no suppression keeps pointing at an erased recipient.
    const erased = batch
      .filter((e) => e.type === 'RecipientErased')
      .map((e) => (e.data as RecipientErased['data']).recipientId);
    if (erased.length > 0) {
      await sql.query(
        `UPDATE ${table} SET recipient_id = NULL WHERE recipient_id = ANY($1::uuid[])`,
        [erased],
      );
    }
  },
};

const upsert = async (
  sql: SqlExecutor,
  table: string,
  merged: ReadonlyMap<string, SuppressionRow>,
): Promise<void> => {
  if (merged.size === 0) return;
  await sql.query(
    `INSERT INTO ${table} AS s (tenant_id, email_index, reason, reason_rank, recipient_id, suppressed_at, updated_at)
     SELECT tenant_id, email_index, reason, reason_rank, recipient_id, suppressed_at, updated_at
       FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (tenant_id, email_index) DO UPDATE SET
       reason = CASE WHEN EXCLUDED.reason_rank > s.reason_rank THEN EXCLUDED.reason ELSE s.reason END,
       reason_rank = GREATEST(EXCLUDED.reason_rank, s.reason_rank),
       recipient_id = CASE WHEN EXCLUDED.reason = 'erased' OR s.reason = 'erased' THEN NULL
                           ELSE COALESCE(s.recipient_id, EXCLUDED.recipient_id) END,
       suppressed_at = LEAST(s.suppressed_at, EXCLUDED.suppressed_at),
       updated_at = GREATEST(s.updated_at, EXCLUDED.updated_at)`,
    [JSON.stringify([...merged.values()])],
  );
};

/** Only a manual suppression goes: a stronger reason recorded for the address stays. */
const lift = async (
  sql: SqlExecutor,
  table: string,
  data: AddressSuppressionLifted['data'],
): Promise<void> => {
  await sql.query(
    `DELETE FROM ${table} WHERE tenant_id = $1 AND email_index = $2 AND reason = 'manual'`,
    [data.tenantId, data.emailIndex],
  );
};
