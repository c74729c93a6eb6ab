import { type KeyObject, createHash, createSecretKey, timingSafeEqual } from 'node:crypto';

import type { Pool } from 'pg';

import { BlindIndexer } from './blind-indexer.js';
import { type CachedSubjectKey, DataKeyCache } from './data-key-cache.js';
import {
  DATA_KEY_BYTES,
  type EncryptedField,
  ERASED,
  decryptWithDataKey,
  encryptWithDataKey,
  isEncryptedField,
} from './encrypted-field.js';
import type { KeyEncryptionKey } from './key-encryption-key.js';
import { PrivacyError } from './privacy.errors.js';
import { randomPool } from './random-pool.js';
import { VAULT_SCHEMA_LOCK, VAULT_SCHEMA_SQL } from './vault.schema.js';

export interface PersonalDataVaultOptions {
  /** Unwrapped data keys kept in memory. Default 10 000. */
  cacheSize?: number;
  /** How long a cached key is trusted: another process's shred takes effect within it. Default 60 s. */
  cacheTtlMs?: number;
}

export interface EncryptRequest {
  subjectId: string;
  plaintext: string;
  context: string;
}

export interface DecryptRequest {
  field: EncryptedField;
  context: string;
}

export interface ShredResult {
  shreddedAt: Date;
  /** True when the subject had been shredded before: nothing changed. */
  alreadyShredded: boolean;
}

/** The constant whose wrapping tells, at open, whether the configured KEK is the one in use. */
const CHECK_PLAINTEXT = createHash('sha256').update('mailpackr-vault-kek-check-v1').digest();
const MAX_SUBJECT_ID_LENGTH = 256;

const kekMismatch = (detail: string): PrivacyError =>
  new PrivacyError(
    'KEK_MISMATCH',
    `the key-encryption key does not match the one this data was written with (${detail})`,
  );

interface SubjectKeyRow {
  subject_id: string;
  tenant_id: string | null;
  wrapped_key: Buffer | null;
}

/**
 * Crypto-shredding vault (DESIGN §4): one random 256-bit data key per data subject, stored wrapped
 * by the key-encryption key. Personal fields are AES-256-GCM ciphertext under the subject's key;
 * erasing the subject destroys the key and every copy of its ciphertext becomes `[erased]`.
 *
 * Every query runs on its own pooled connection outside any transaction (only `open` holds one,
 * with no other query in flight), so it is safe on PGlite, which serialises transactions.
 */
export class PersonalDataVault {
  readonly #pool: Pool;
  readonly #kek: KeyEncryptionKey;
  readonly #cache: DataKeyCache;
  readonly #blindIndexer: BlindIndexer;
  /** Concurrent first use of one subject shares one lookup (and at most one key creation). */
  readonly #pending = new Map<string, Promise<CachedSubjectKey | undefined>>();
  /** Bumped by every shred and eviction: a key load that raced one is used once, never cached. */
  #epoch = 0;

  private constructor(pool: Pool, kek: KeyEncryptionKey, options: PersonalDataVaultOptions) {
    this.#pool = pool;
    this.#kek = kek;
    this.#cache = new DataKeyCache({ maxEntries: options.cacheSize, ttlMs: options.cacheTtlMs });
    this.#blindIndexer = new BlindIndexer(kek);
  }

  /** Creates the tables if needed and checks that `kek` is the key the stored data keys use. */
  static async open(
    pool: Pool,
    kek: KeyEncryptionKey,
    options: PersonalDataVaultOptions = {},
  ): Promise<PersonalDataVault> {
    const vault = new PersonalDataVault(pool, kek, options);
    await vault.#migrate();
    return vault;
  }

  /** The id of the key-encryption key in use (a fingerprint, safe to print). */
  get kekId(): string {
    return this.#kek.id;
  }

  async encrypt(
    subjectId: string,
    tenantId: string,
    plaintext: string,
    context: string,
  ): Promise<EncryptedField> {
    assertEncryptArguments(subjectId, tenantId, plaintext, context);
    const key = await this.#keyForWriting(subjectId, tenantId);
    return encryptWithDataKey(key, subjectId, context, plaintext);
  }

  /**
   * `encrypt` for many values at once, results in request order. Keys that are not cached are
   * loaded or created first (as `encrypt` does), concurrently. Nothing is encrypted unless every
   * request is valid and every subject may be written to.
   */
  async encryptMany(
    tenantId: string,
    requests: readonly EncryptRequest[],
  ): Promise<EncryptedField[]> {
    for (const r of requests) assertEncryptArguments(r.subjectId, tenantId, r.plaintext, r.context);
    const keys = new Map<string, KeyObject>();
    const missing = new Set<string>();
    for (const { subjectId } of requests) {
      if (keys.has(subjectId) || missing.has(subjectId)) continue;
      const entry = this.#cache.get(subjectId);
      if (entry) keys.set(subjectId, writableKey(entry, subjectId, tenantId));
      else missing.add(subjectId);
    }
    await Promise.all(
      [...missing].map(async (id) => keys.set(id, await this.#keyForWriting(id, tenantId))),
    );
    return requests.map((r) =>
      encryptWithDataKey(keys.get(r.subjectId)!, r.subjectId, r.context, r.plaintext),
    );
  }

  /**
   * Loads or creates the data keys of many subjects of one tenant in a few queries (bulk imports),
   * so the `encrypt` calls that follow hit the cache. Subjects that were erased stay erased.
   */
  async prepareKeys(tenantId: string, subjectIds: readonly string[]): Promise<void> {
    assertNonEmpty(tenantId, 'tenant id');
    subjectIds.forEach(assertSubjectId);
    const missing = [...new Set(subjectIds)].filter((id) => !this.#cache.get(id));
    if (missing.length === 0) return;
    const found = await this.#loadKeys(missing);
    const create = missing.filter((id) => !found.has(id));
    if (create.length === 0) return;
    const mine = await this.createKeys(tenantId, create);
    // Created by someone else in between: load theirs.
    const lost = create.filter((id) => !mine.has(id));
    if (lost.length > 0) await this.#loadKeys(lost);
  }

  /**
   * Creates data keys for subjects that have none, in one statement, and returns those it
   * created (cached for the `encrypt` calls that follow). A subject that already has a key, or
   * was shredded, is left as it is and not returned. Since every personal field is encrypted
   * before its event is stored, a subject that had no key has no stored personal data either:
   * bulk writers use that to tell new subjects from known ones without reading their history.
   */
  async createKeys(tenantId: string, subjectIds: readonly string[]): Promise<Set<string>> {
    assertNonEmpty(tenantId, 'tenant id');
    subjectIds.forEach(assertSubjectId);
    const create = [...new Set(subjectIds)];
    if (create.length === 0) return new Set();
    const epoch = this.#epoch;
    const keys = create.map(() => randomPool.take(DATA_KEY_BYTES));
    const wrapped = await Promise.all(keys.map((key) => this.#kek.wrap(key)));
    const inserted = await this.#pool.query<{ subject_id: string }>(
      `INSERT INTO mp_subject_keys (subject_id, tenant_id, wrapped_key, kek_id)
       SELECT s, $2, w, $4 FROM unnest($1::text[], $3::bytea[]) AS x(s, w)
       ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id`,
      [create, tenantId, wrapped, this.#kek.id],
    );
    const mine = new Set(inserted.rows.map((r) => r.subject_id));
    if (epoch === this.#epoch) {
      create.forEach((id, i) => {
        if (mine.has(id)) this.#cache.set(id, { key: createSecretKey(keys[i]!), tenantId });
      });
    }
    return mine;
  }

  /** The plaintext, or `ERASED` when the subject's key was shredded or never existed. */
  async decrypt(field: EncryptedField, context: string): Promise<string> {
    const [plaintext] = await this.decryptMany([{ field, context }]);
    return plaintext as string;
  }

  /** Decrypts a batch, loading every key that is not cached in one query. Results keep the order. */
  async decryptMany(requests: readonly DecryptRequest[]): Promise<string[]> {
    const keys = new Map<string, CachedSubjectKey>();
    const missing = new Set<string>();
    for (const { field, context } of requests) {
      if (!isEncryptedField(field)) {
        throw new PrivacyError('CIPHERTEXT_INVALID', 'the value is not an encrypted field');
      }
      assertContext(context);
      if (keys.has(field.s) || missing.has(field.s)) continue;
      const cached = this.#cache.get(field.s);
      if (cached) keys.set(field.s, cached);
      else missing.add(field.s);
    }
    if (missing.size > 0) {
      for (const [subjectId, entry] of await this.#loadKeys([...missing]))
        keys.set(subjectId, entry);
    }
    return requests.map(({ field, context }) => {
      const key = keys.get(field.s)?.key;
      return key ? decryptWithDataKey(key, field, context) : ERASED;
    });
  }

  /**
   * Destroys the subject's data key and keeps a tombstone, so its ciphertext reads as `[erased]`
   * everywhere and nothing can be encrypted for it again. Idempotent. A subject that never had a
   * key gets a tombstone too. With `tenantId`, refuses to shred another tenant's subject.
   */
  async shred(subjectId: string, options: { tenantId?: string } = {}): Promise<ShredResult> {
    assertSubjectId(subjectId);
    const { tenantId } = options;
    if (tenantId !== undefined) {
      assertNonEmpty(tenantId, 'tenant id');
      const { rows } = await this.#pool.query<{ tenant_id: string | null }>(
        'SELECT tenant_id FROM mp_subject_keys WHERE subject_id = $1',
        [subjectId],
      );
      const owner = rows[0]?.tenant_id;
      if (owner && owner !== tenantId) throw tenantMismatch(subjectId);
    }
    this.evict(subjectId);
    const result = await this.#markShredded(subjectId, tenantId ?? null);
    this.evict(subjectId);
    this.#cache.set(subjectId, { key: null, tenantId: tenantId ?? null });
    return result;
  }

  async #markShredded(subjectId: string, tenantId: string | null): Promise<ShredResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const updated = await this.#pool.query<{ shredded_at: Date }>(
        `UPDATE mp_subject_keys SET wrapped_key = NULL, shredded_at = now()
         WHERE subject_id = $1 AND shredded_at IS NULL RETURNING shredded_at`,
        [subjectId],
      );
      if (updated.rows[0])
        return { shreddedAt: updated.rows[0].shredded_at, alreadyShredded: false };
      const inserted = await this.#pool.query<{ shredded_at: Date }>(
        `INSERT INTO mp_subject_keys (subject_id, tenant_id, shredded_at) VALUES ($1, $2, now())
         ON CONFLICT (subject_id) DO NOTHING RETURNING shredded_at`,
        [subjectId, tenantId],
      );
      if (inserted.rows[0])
        return { shreddedAt: inserted.rows[0].shredded_at, alreadyShredded: false };
      const existing = await this.#pool.query<{ shredded_at: Date | null }>(
        'SELECT shredded_at FROM mp_subject_keys WHERE subject_id = $1',
        [subjectId],
      );
      const shreddedAt = existing.rows[0]?.shredded_at;
      if (shreddedAt) return { shreddedAt, alreadyShredded: true };
      // A key was created between the update and the insert: shred it on the next round.
    }
    throw new Error(`could not shred subject ${subjectId}: its key kept being recreated`);
  }

  async isShredded(subjectId: string): Promise<boolean> {
    assertSubjectId(subjectId);
    const { rows } = await this.#pool.query<{ shredded: boolean }>(
      'SELECT shredded_at IS NOT NULL AS shredded FROM mp_subject_keys WHERE subject_id = $1',
      [subjectId],
    );
    return rows[0]?.shredded ?? false;
  }

  /** Forgets the subject's cached key (e.g. on hearing that another process shredded it). */
  evict(subjectId: string): void {
    this.#epoch++;
    this.#cache.delete(subjectId);
    this.#pending.delete(subjectId);
  }

  clearCache(): void {
    this.#epoch++;
    this.#cache.clear();
    this.#pending.clear();
  }

  /** A key for one purpose (e.g. signing opt-in tokens), derived from the KEK with HKDF. */
  deriveKey(purpose: string): Buffer {
    return this.#kek.deriveKey(`mailpackr-purpose:${purpose}`);
  }

  /** Keyed HMAC-SHA256 (hex) of `value` for `tenantId`: lookups and suppression without plaintext. */
  blindIndex(tenantId: string, value: string): string {
    return this.#blindIndexer.index(tenantId, value);
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [VAULT_SCHEMA_LOCK]);
      await client.query(VAULT_SCHEMA_SQL);
      const meta = await client.query<{ kek_id: string; check_value: Buffer }>(
        'SELECT kek_id, check_value FROM mp_vault_meta WHERE id = 1',
      );
      const stored = meta.rows[0];
      if (stored) {
        await this.#verifyKek(stored.kek_id, stored.check_value);
      } else {
        const keys = await client.query<{ present: boolean }>(
          'SELECT EXISTS (SELECT 1 FROM mp_subject_keys WHERE wrapped_key IS NOT NULL) AS present',
        );
        if (keys.rows[0]?.present) {
          throw kekMismatch('data keys exist but the key they were wrapped with was not recorded');
        }
        await client.query(
          'INSERT INTO mp_vault_meta (id, kek_id, check_value) VALUES (1, $1, $2)',
          [this.#kek.id, await this.#kek.wrap(CHECK_PLAINTEXT)],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async #verifyKek(storedId: string, checkValue: Buffer): Promise<void> {
    const detail = `configured key id ${this.#kek.id}, data written with key id ${storedId}`;
    if (storedId !== this.#kek.id) throw kekMismatch(detail);
    let unwrapped: Buffer;
    try {
      unwrapped = await this.#kek.unwrap(checkValue);
    } catch {
      throw kekMismatch(detail);
    }
    if (
      unwrapped.length !== CHECK_PLAINTEXT.length ||
      !timingSafeEqual(unwrapped, CHECK_PLAINTEXT)
    ) {
      throw kekMismatch(detail);
    }
  }

  /** The subject's data key for a new ciphertext: existing, or created now (concurrency-safe). */
  async #keyForWriting(subjectId: string, tenantId: string): Promise<KeyObject> {
    let entry = this.#cache.get(subjectId);
    if (!entry) {
      let pending = this.#pending.get(subjectId);
      if (!pending) {
        pending = this.#loadOrCreate(subjectId, tenantId).finally(() => {
          if (this.#pending.get(subjectId) === pending) this.#pending.delete(subjectId);
        });
        this.#pending.set(subjectId, pending);
      }
      entry = await pending;
    }
    return writableKey(entry, subjectId, tenantId);
  }

  async #loadOrCreate(subjectId: string, tenantId: string): Promise<CachedSubjectKey | undefined> {
    const existing = (await this.#loadKeys([subjectId])).get(subjectId);
    if (existing) return existing;
    const epoch = this.#epoch;
    const key = randomPool.take(DATA_KEY_BYTES);
    const inserted = await this.#pool.query(
      `INSERT INTO mp_subject_keys (subject_id, tenant_id, wrapped_key, kek_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subject_id) DO NOTHING`,
      [subjectId, tenantId, await this.#kek.wrap(key), this.#kek.id],
    );
    if (inserted.rowCount === 1) {
      const entry = { key: createSecretKey(key), tenantId };
      if (epoch === this.#epoch) this.#cache.set(subjectId, entry);
      return entry;
    }
    // Another writer created the key (or a tombstone) first: use theirs.
    return (await this.#loadKeys([subjectId])).get(subjectId);
  }

  /** One query for every subject; subjects without a row are absent from the result. */
  async #loadKeys(subjectIds: readonly string[]): Promise<Map<string, CachedSubjectKey>> {
    const epoch = this.#epoch;
    const { rows } = await this.#pool.query<SubjectKeyRow>(
      'SELECT subject_id, tenant_id, wrapped_key FROM mp_subject_keys WHERE subject_id = ANY($1::text[])',
      [subjectIds],
    );
    const entries = await Promise.all(
      rows.map(async (row): Promise<[string, CachedSubjectKey]> => [
        row.subject_id,
        {
          key: row.wrapped_key
            ? createSecretKey(await this.#unwrap(row.subject_id, row.wrapped_key))
            : null,
          tenantId: row.tenant_id,
        },
      ]),
    );
    if (epoch === this.#epoch)
      for (const [subjectId, entry] of entries) this.#cache.set(subjectId, entry);
    return new Map(entries);
  }

  async #unwrap(subjectId: string, wrapped: Buffer): Promise<Buffer> {
    let key: Buffer;
    try {
      key = await this.#kek.unwrap(wrapped);
    } catch {
      throw new PrivacyError(
        'KEY_UNWRAP_FAILED',
        `the data key of subject ${subjectId} cannot be unwrapped with key-encryption key ${this.#kek.id}`,
      );
    }
    if (key.length !== DATA_KEY_BYTES) {
      throw new PrivacyError(
        'KEY_UNWRAP_FAILED',
        `the data key of subject ${subjectId} has a wrong length`,
      );
    }
    return key;
  }
}

/** The key a new ciphertext of the subject may use: none once it was erased, nor for another tenant. */
const writableKey = (
  entry: CachedSubjectKey | undefined,
  subjectId: string,
  tenantId: string,
): KeyObject => {
  if (!entry || entry.key === null) {
    throw new PrivacyError(
      'SUBJECT_ERASED',
      `subject ${subjectId} was erased: no personal data may be stored for it again`,
    );
  }
  if (entry.tenantId !== null && entry.tenantId !== tenantId) throw tenantMismatch(subjectId);
  return entry.key;
};

const assertEncryptArguments = (
  subjectId: string,
  tenantId: string,
  plaintext: unknown,
  context: string,
): void => {
  assertSubjectId(subjectId);
  assertNonEmpty(tenantId, 'tenant id');
  if (typeof plaintext !== 'string') {
    throw new PrivacyError(
      'INVALID_ARGUMENT',
      'only strings are encrypted; serialise other values first',
    );
  }
  assertContext(context);
};

const tenantMismatch = (subjectId: string): PrivacyError =>
  new PrivacyError('SUBJECT_TENANT_MISMATCH', `subject ${subjectId} belongs to another tenant`);

const assertNonEmpty = (value: unknown, what: string): void => {
  if (typeof value !== 'string' || value === '') {
    throw new PrivacyError('INVALID_ARGUMENT', `a ${what} must be a non-empty string`);
  }
};

/** `|` separates the subject from the context in the AAD, so it cannot appear in a subject id. */
const assertSubjectId = (subjectId: unknown): void => {
  assertNonEmpty(subjectId, 'subject id');
  const id = subjectId as string;
  if (id.length > MAX_SUBJECT_ID_LENGTH || id.includes('|')) {
    throw new PrivacyError(
      'INVALID_ARGUMENT',
      `a subject id has at most ${MAX_SUBJECT_ID_LENGTH} characters and no '|'`,
    );
  }
};

const assertContext = (context: unknown): void => {
  if (typeof context !== 'string') {
    throw new PrivacyError('INVALID_ARGUMENT', 'the encryption context must be a string');
  }
};
