import type pg from 'pg';
import { type DataSource, In } from 'typeorm';

import { type AccountErased, type RecipientErased } from '#domain';
import { type EventStore, type Position, type RecordedEvent, formatPosition } from '#event-store';
import {
  ERASED,
  type ErasureReceipt,
  type PersonalDataCodec,
  type PersonalDataVault,
  erasureReceiptOf,
  type EncryptedField,
  isEncryptedField,
  isErasureReceiptIntact,
} from '#privacy';
import {
  AccountEntity,
  ErasureReceiptEntity,
  RecipientEntity,
  RecipientMembershipEntity,
  TenantEntity,
} from '#projections';

export type ErasureSubjectType = 'recipient' | 'account';

/** One erased data subject, as an auditor sees it: ids, times and findings, no personal data. */
export interface ErasureAuditEntry {
  subjectType: ErasureSubjectType;
  subjectId: string;
  tenantId: string;
  requestId: string;
  basis: string;
  erasedAt: string;
  /** Log position of the erasure event. */
  position: string;
  ok: boolean;
  /** Why it is not ok, one line each (ids and counts only). */
  problems: string[];
  /** The vault keeps only a tombstone: no data key for the subject. */
  keyDestroyed: boolean;
  /** No personal field of the subject's history decrypts any more. */
  historyUnreadable: boolean;
  /** The read models hold no personal data of the subject (purged, or placeholders). */
  readModelsPurged: boolean;
  /** The erasure receipt (recipients), null when there is none. */
  receipt: { requestId: string; receiptHash: string; intact: boolean } | null;
}

export interface ErasureAuditOptions {
  /** Only this tenant's erasures. */
  tenantId?: string;
  /** Stop after this many subjects. */
  limit?: number;
  onProgress?: (progress: { subjects: number; problems: number }) => void;
}

export interface ErasureAuditDependencies {
  store: EventStore;
  codec: PersonalDataCodec;
  vault: PersonalDataVault;
  /** The vault's database (mp_subject_keys). */
  pool: pg.Pool;
  readModels: DataSource;
}

/** The erasure events, by subject type. */
export const ERASURE_EVENT_TYPES = ['RecipientErased', 'AccountErased'] as const;

/** Read-model tables checked for each subject type (listed in the CLI output and README). */
export const ERASURE_AUDITED_TABLES: Record<ErasureSubjectType, readonly string[]> = {
  recipient: ['recipients', 'recipient_memberships', 'erasure_receipts'],
  account: ['tenants', 'accounts'],
};

const BATCH = 200;
const LOG_PAGE = 1_000;

interface Erasure {
  subjectType: ErasureSubjectType;
  subjectId: string;
  tenantId: string;
  requestId: string;
  basis: string;
  erasedAt: string;
  position: Position;
  event: RecordedEvent;
}

const erasureOf = (event: RecordedEvent): Erasure | undefined => {
  if (event.type === 'RecipientErased') {
    const data = event.data as RecipientErased['data'];
    return {
      subjectType: 'recipient',
      subjectId: data.recipientId,
      tenantId: data.tenantId,
      requestId: data.requestId,
      basis: data.basis,
      erasedAt: data.erasedAt,
      position: event.position,
      event,
    };
  }
  if (event.type === 'AccountErased') {
    const data = event.data as AccountErased['data'];
    return {
      subjectType: 'account',
      subjectId: data.accountId,
      tenantId: data.tenantId,
      requestId: data.requestId,
      basis: data.basis,
      erasedAt: data.erasedAt,
      position: event.position,
      event,
    };
  }
  return undefined;
};

/** Paths (as segment lists) of every encrypted field inside `value`. */
const encryptedPaths = (value: unknown, path: string[] = [], into: string[][] = []): string[][] => {
  if (isEncryptedField(value)) into.push(path);
  else if (Array.isArray(value))
    value.forEach((v, i) => encryptedPaths(v, [...path, String(i)], into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) encryptedPaths(v, [...path, key], into);
  }
  return into;
};

const getPath = (value: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (v, key) =>
      v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined,
    value,
  );

/** A read-model column that is purged: null, or a placeholder. */
const purged = (value: unknown): boolean =>
  value === null || value === undefined || value === ERASED;

/**
 * `audit erasures`: for every erasure in the log (`RecipientErased`, `AccountErased`), proves that
 * the subject's data key is gone from the vault (a tombstone is left), that no personal field of
 * its history decrypts any more, that the read models hold no personal data of it, and (for
 * recipients) that its erasure receipt exists, is intact and matches the erasure event.
 *
 * The log is the source of truth for which subjects were erased, so an erasure whose read models
 * lost track of it still shows. Reports ids, counts and reasons only, never personal data.
 */
export class ErasureAudit {
  constructor(private readonly deps: ErasureAuditDependencies) {}

  /** Every erased subject in log order (one entry per subject), checked in batches. */
  async *entries(options: ErasureAuditOptions = {}): AsyncGenerator<ErasureAuditEntry> {
    const seen = new Set<string>();
    let batch: Erasure[] = [];
    let subjects = 0;
    let problems = 0;
    const flush = async function* (this: ErasureAudit): AsyncGenerator<ErasureAuditEntry> {
      for (const entry of await this.check(batch)) {
        subjects++;
        if (!entry.ok) problems++;
        yield entry;
      }
      batch = [];
      options.onProgress?.({ subjects, problems });
    }.bind(this);
    let from: Position | undefined;
    for (;;) {
      const page = await this.deps.store.readAll({
        from,
        maxCount: LOG_PAGE,
        filter: { eventTypes: [...ERASURE_EVENT_TYPES] },
      });
      for (const event of page) {
        const erasure = erasureOf(event);
        if (!erasure || (options.tenantId && erasure.tenantId !== options.tenantId)) continue;
        const key = `${erasure.subjectType}:${erasure.subjectId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        batch.push(erasure);
        if (options.limit !== undefined && seen.size >= options.limit) {
          yield* flush();
          return;
        }
        if (batch.length >= BATCH) yield* flush();
      }
      if (page.length < LOG_PAGE) break;
      from = page[page.length - 1]!.position;
    }
    if (batch.length > 0) yield* flush();
  }

  async run(options: ErasureAuditOptions = {}): Promise<ErasureAuditEntry[]> {
    const entries: ErasureAuditEntry[] = [];
    for await (const entry of this.entries(options)) entries.push(entry);
    return entries;
  }

  private async check(erasures: readonly Erasure[]): Promise<ErasureAuditEntry[]> {
    const ids = erasures.map((e) => e.subjectId);
    const [keys, history, readModels, receipts] = await Promise.all([
      this.vaultState(ids),
      this.readableHistory(erasures),
      this.readModelState(erasures),
      this.receipts(erasures.filter((e) => e.subjectType === 'recipient').map((e) => e.subjectId)),
    ]);
    return erasures.map((erasure) => {
      const problems: string[] = [];
      const key = keys.get(erasure.subjectId);
      const keyDestroyed = key !== undefined && !key.hasKey && key.shredded;
      if (!key)
        problems.push(
          'the vault holds no tombstone for the subject: its key was never destroyed there',
        );
      else if (key.hasKey) problems.push('the data key still exists in the vault');
      else if (!key.shredded) problems.push('the vault row is not marked shredded');
      if (key?.tenantId && key.tenantId !== erasure.tenantId) {
        problems.push('the vault records the subject under another tenant');
      }
      const readable = history.get(erasure.subjectId) ?? [];
      problems.push(...readable);
      const leftovers = readModels.get(erasure.subjectId) ?? [];
      problems.push(...leftovers);
      let receipt: ErasureAuditEntry['receipt'] = null;
      if (erasure.subjectType === 'recipient') {
        const stored = receipts.get(erasure.subjectId);
        if (!stored) problems.push('no erasure receipt in erasure_receipts');
        else {
          const expected = erasureReceiptOf(
            erasure.event.data as RecipientErased['data'],
          ).receiptHash;
          const intact =
            isErasureReceiptIntact(stored.receipt) &&
            stored.receiptHash === stored.receipt.receiptHash &&
            stored.receipt.receiptHash === expected;
          if (!intact)
            problems.push('the erasure receipt does not match its hash or the erasure event');
          receipt = { requestId: stored.requestId, receiptHash: stored.receiptHash, intact };
        }
      }
      return {
        subjectType: erasure.subjectType,
        subjectId: erasure.subjectId,
        tenantId: erasure.tenantId,
        requestId: erasure.requestId,
        basis: erasure.basis,
        erasedAt: erasure.erasedAt,
        position: formatPosition(erasure.position),
        ok: problems.length === 0,
        problems,
        keyDestroyed,
        historyUnreadable: readable.length === 0,
        readModelsPurged: leftovers.length === 0,
        receipt,
      };
    });
  }

  /** The vault rows of the subjects: key present, tombstone, owning tenant. */
  private async vaultState(
    ids: readonly string[],
  ): Promise<Map<string, { hasKey: boolean; shredded: boolean; tenantId: string | null }>> {
    const { rows } = await this.deps.pool.query<{
      subject_id: string;
      has_key: boolean;
      shredded: boolean;
      tenant_id: string | null;
    }>(
      `SELECT subject_id, wrapped_key IS NOT NULL AS has_key, shredded_at IS NOT NULL AS shredded, tenant_id
         FROM mp_subject_keys WHERE subject_id = ANY($1::text[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.subject_id,
        { hasKey: r.has_key, shredded: r.shredded, tenantId: r.tenant_id },
      ]),
    );
  }

  /**
   * Decrypts the subject's history the way every reader does (after forgetting any cached key):
   * each encrypted field must read `[erased]`, and every subject it names must be shredded.
   */
  private async readableHistory(erasures: readonly Erasure[]): Promise<Map<string, string[]>> {
    // The stream the erasure was recorded on holds the subject's history (a recipient's own
    // stream; for an account its own stream, or the tenant's for the owner named at creation).
    const streams = new Map<string, Erasure[]>();
    for (const e of erasures) {
      const streamId = e.event.streamId;
      streams.set(streamId, [...(streams.get(streamId) ?? []), e]);
    }
    const read = await this.deps.store.readStreams([...streams.keys()]);
    const found = new Map<string, string[]>();
    for (const [streamId, events] of read) {
      const subjects = streams.get(streamId) ?? [];
      for (const s of subjects) this.deps.vault.evict(s.subjectId);
      // Only the fields of the erased subjects (an account's tenant stream holds other data too).
      const mine = new Set(subjects.map((s) => s.subjectId));
      const fields = events.map((event) =>
        encryptedPaths(event.data).filter((path) => {
          const field = getPath(event.data, path);
          return isEncryptedField(field) && mine.has(field.s);
        }),
      );
      let decrypted: unknown[];
      try {
        decrypted = await this.deps.codec.decryptEvents(
          events.map((e) => ({ type: e.type, data: e.data })),
        );
      } catch {
        for (const s of subjects) {
          found.set(s.subjectId, [
            'the history holds ciphertext that does not belong to its event',
          ]);
        }
        continue;
      }
      for (const s of subjects) {
        let readable = 0;
        events.forEach((_, i) => {
          for (const path of fields[i]!) {
            const field = getPath(events[i]!.data, path) as EncryptedField;
            if (field.s !== s.subjectId) continue;
            const value = getPath(decrypted[i], path);
            // A value that holds several fields (`g`) decrypts all of them or none.
            if (value !== ERASED && !isEncryptedField(value)) readable += field.g?.length ?? 1;
          }
        });
        if (readable > 0) {
          found.set(s.subjectId, [`${readable} personal field(s) of the history still decrypt`]);
        }
      }
    }
    return found;
  }

  private async readModelState(erasures: readonly Erasure[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    const add = (subjectId: string, problem: string) =>
      found.set(subjectId, [...(found.get(subjectId) ?? []), problem]);
    const recipients = erasures
      .filter((e) => e.subjectType === 'recipient')
      .map((e) => e.subjectId);
    if (recipients.length > 0) {
      const rows = await this.deps.readModels
        .getRepository(RecipientEntity)
        .find({ where: { recipientId: In(recipients) } });
      for (const row of rows) {
        const columns = (['email', 'name', 'attributes', 'emailIndex'] as const).filter(
          (c) => !purged(row[c]),
        );
        if (row.status !== 'erased')
          add(row.recipientId, 'recipients: the row is not marked erased');
        if (columns.length > 0) {
          add(row.recipientId, `recipients: ${columns.join(', ')} not purged`);
        }
      }
      const memberships = await this.deps.readModels.getRepository(RecipientMembershipEntity).find({
        where: { recipientId: In(recipients) },
        select: { recipientId: true, listId: true },
      });
      const counts = new Map<string, number>();
      for (const m of memberships) counts.set(m.recipientId, (counts.get(m.recipientId) ?? 0) + 1);
      for (const [id, n] of counts) {
        add(id, `recipient_memberships: ${n} row(s) with consent evidence remain`);
      }
    }
    const accounts = erasures.filter((e) => e.subjectType === 'account');
    if (accounts.length > 0) {
      const rows = await this.deps.readModels
        .getRepository(TenantEntity)
        .find({ where: { tenantId: In(accounts.map((a) => a.tenantId)) } });
      const byTenant = new Map(rows.map((r) => [r.tenantId, r]));
      for (const a of accounts) {
        const row = byTenant.get(a.tenantId);
        if (!row || row.ownerAccountId !== a.subjectId) continue;
        const columns = (['ownerEmail', 'ownerName'] as const).filter((c) => !purged(row[c]));
        if (columns.length > 0) add(a.subjectId, `tenants: ${columns.join(', ')} not purged`);
        if (!row.ownerErasedAt) add(a.subjectId, 'tenants: the owner is not marked erased');
      }
      const registered = await this.deps.readModels
        .getRepository(AccountEntity)
        .find({ where: { accountId: In(accounts.map((a) => a.subjectId)) } });
      for (const row of registered) {
        const columns = (['email', 'name', 'company', 'emailIndex'] as const).filter(
          (c) => !purged(row[c]),
        );
        if (columns.length > 0) add(row.accountId, `accounts: ${columns.join(', ')} not purged`);
        if (!row.erasedAt) add(row.accountId, 'accounts: the row is not marked erased');
      }
    }
    return found;
  }

  private async receipts(
    recipientIds: readonly string[],
  ): Promise<Map<string, { requestId: string; receiptHash: string; receipt: ErasureReceipt }>> {
    if (recipientIds.length === 0) return new Map();
    const rows = await this.deps.readModels
      .getRepository(ErasureReceiptEntity)
      .find({ where: { recipientId: In([...recipientIds]) } });
    return new Map(rows.map((r) => [r.recipientId, r]));
  }
}
