import type pg from 'pg';

import { type EventStore, type Position, type RecordedEvent, formatPosition } from '#event-store';
import { type EncryptedField, type PersonalDataCodec, isEncryptedField } from '#privacy';

/** One line of `audit export`: an event as stored, personal fields decrypted for its tenant. */
export interface HistoryExportLine {
  position: string;
  stream: string;
  revision: number;
  type: string;
  time: string;
  metadata: Record<string, unknown>;
  data: unknown;
  hash: string;
  previousHash: string;
}

export interface HistoryExportOptions {
  tenantId: string;
  /** Recorded-time range (metadata `timestamp`), inclusive. */
  since?: Date;
  until?: Date;
  onProgress?: (progress: { scanned: number; exported: number }) => void;
}

export interface HistoryExportDependencies {
  store: EventStore;
  codec: PersonalDataCodec;
  /** The vault's database: who owns each subject (mp_subject_keys.tenant_id). */
  pool: pg.Pool;
}

/** Shown instead of a personal field whose subject belongs to another tenant (never expected). */
export const OTHER_TENANT = '[other tenant]';

/** Writers' clocks differ: the walk stops this long after `until` has passed in the log. */
const SKEW_MS = 5 * 60_000;
const PAGE = 2_000;

const encryptedFields = (value: unknown, into: EncryptedField[] = []): EncryptedField[] => {
  if (isEncryptedField(value)) into.push(value);
  else if (Array.isArray(value)) for (const v of value) encryptedFields(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) encryptedFields(v, into);
  }
  return into;
};

/** `value` with every encrypted field of a subject in `foreign` replaced by `OTHER_TENANT`. */
const withhold = (value: unknown, foreign: ReadonlySet<string>): unknown => {
  if (isEncryptedField(value)) return foreign.has(value.s) ? OTHER_TENANT : value;
  if (Array.isArray(value)) return value.map((v) => withhold(v, foreign));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withhold(v, foreign)]));
  }
  return value;
};

/**
 * `audit export`: one tenant's history as JSON Lines, page by page (bounded memory: one page of
 * the log at a time). Personal fields are decrypted with the same codec every reader uses, so a
 * shredded subject's fields read `[erased]`; only subjects the vault records for this tenant are
 * decrypted. Other tenants' events are not exported.
 */
export async function* exportHistory(
  deps: HistoryExportDependencies,
  options: HistoryExportOptions,
): AsyncGenerator<HistoryExportLine> {
  const since = options.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = options.until?.getTime() ?? Number.POSITIVE_INFINITY;
  let from: Position | undefined;
  let scanned = 0;
  let exported = 0;
  for (;;) {
    const page = await deps.store.readAll({ from, maxCount: PAGE });
    if (page.length === 0) break;
    from = page[page.length - 1]!.position;
    scanned += page.length;
    let passedUntil = false;
    const mine: RecordedEvent[] = [];
    for (const event of page) {
      const time = Date.parse(event.metadata.timestamp);
      if (time > until + SKEW_MS) passedUntil = true;
      if (event.metadata.tenantId !== options.tenantId || time < since || time > until) continue;
      mine.push(event);
    }
    if (mine.length > 0) {
      const subjects = [...new Set(mine.flatMap((e) => encryptedFields(e.data).map((f) => f.s)))];
      const foreign = new Set<string>();
      if (subjects.length > 0) {
        const { rows } = await deps.pool.query<{ subject_id: string }>(
          `SELECT subject_id FROM mp_subject_keys
            WHERE subject_id = ANY($1::text[]) AND tenant_id IS NOT NULL AND tenant_id <> $2`,
          [subjects, options.tenantId],
        );
        for (const r of rows) foreign.add(r.subject_id);
      }
      const decrypted = await deps.codec.decryptEvents(
        mine.map((e) => ({
          type: e.type,
          data: foreign.size > 0 ? withhold(e.data, foreign) : e.data,
        })),
      );
      for (const [i, e] of mine.entries()) {
        exported++;
        yield {
          position: formatPosition(e.position),
          stream: e.streamId,
          revision: Number(e.revision),
          type: e.type,
          time: e.metadata.timestamp,
          metadata: e.metadata as unknown as Record<string, unknown>,
          data: decrypted[i],
          hash: e.hash,
          previousHash: e.previousHash,
        };
      }
    }
    options.onProgress?.({ scanned, exported });
    if (passedUntil || page.length < PAGE) break;
  }
}
