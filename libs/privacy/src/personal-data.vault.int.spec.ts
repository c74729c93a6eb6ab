import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';

import { createPool } from '#event-store';
import {
  type TestDatabase,
  createTestDatabase,
  reportSkipped,
  sqlBackends,
  rejectionOf,
} from '#testing';

import { ERASED, type EncryptedField, isEncryptedField } from './encrypted-field.js';
import { LocalKeyEncryptionKey } from './key-encryption-key.js';
import { PersonalDataVault } from './personal-data.vault.js';
import { PrivacyError } from './privacy.errors.js';

if (!process.env.DATABASE_URL)
  reportSkipped('PersonalDataVault on PostgreSQL', 'DATABASE_URL not set');

const rejection = (promise: Promise<unknown>): Promise<PrivacyError> =>
  rejectionOf(promise, PrivacyError);

describe.each(sqlBackends())('PersonalDataVault on %s', (kind) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let rawKey: Buffer;
  let kek: LocalKeyEncryptionKey;
  let vault: PersonalDataVault;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    pool = createPool(database.connectionString, 6);
    rawKey = randomBytes(32);
    kek = new LocalKeyEncryptionKey(rawKey);
    vault = await PersonalDataVault.open(pool, kek);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  /** Another process: same database and key, its own cache. */
  const anotherProcess = (options: { cacheTtlMs?: number } = {}): Promise<PersonalDataVault> =>
    PersonalDataVault.open(pool, kek, options);

  describe('When a value is encrypted for a subject', () => {
    it('should decrypt back to the plaintext', async () => {
      const subjectId = randomUUID();
      const field = await vault.encrypt(
        subjectId,
        randomUUID(),
        'ada@example.test',
        'RecipientAdded.email',
      );

      expect(isEncryptedField(field)).toBe(true);
      expect(field.s).toBe(subjectId);
      expect(await vault.decrypt(field, 'RecipientAdded.email')).toBe('ada@example.test');
    });

    it('should survive a JSON round trip, as inside a stored event', async () => {
      const field = await vault.encrypt(
        randomUUID(),
        randomUUID(),
        'Ada Lovelace',
        'RecipientAdded.name',
      );
      const stored = JSON.parse(JSON.stringify({ name: field })) as { name: EncryptedField };
      expect(await vault.decrypt(stored.name, 'RecipientAdded.name')).toBe('Ada Lovelace');
    });

    it('should store one wrapped key per subject, never the data key in clear', async () => {
      const subjectId = randomUUID();
      const tenantId = randomUUID();
      await vault.encrypt(subjectId, tenantId, 'a', 'c');
      await vault.encrypt(subjectId, tenantId, 'b', 'c');

      const { rows } = await pool.query<{ tenant_id: string; wrapped_key: Buffer; kek_id: string }>(
        'SELECT tenant_id, wrapped_key, kek_id FROM mp_subject_keys WHERE subject_id = $1',
        [subjectId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tenant_id: tenantId, kek_id: kek.id });
      expect(rows[0]?.wrapped_key.length).toBeGreaterThan(32);
    });

    it('should be readable by another process with the same key', async () => {
      const field = await vault.encrypt(randomUUID(), randomUUID(), 'ada@example.test', 'ctx');
      const other = await anotherProcess();
      expect(await other.decrypt(field, 'ctx')).toBe('ada@example.test');
    });

    it('should create exactly one key when processes race on a new subject', async () => {
      const subjectId = randomUUID();
      const tenantId = randomUUID();
      const processes = await Promise.all([anotherProcess(), anotherProcess(), anotherProcess()]);
      const fields = await Promise.all(
        processes.flatMap((p, i) => [
          p.encrypt(subjectId, tenantId, `v${i}`, 'ctx'),
          p.encrypt(subjectId, tenantId, `w${i}`, 'ctx'),
        ]),
      );
      const reader = await anotherProcess();
      expect(await reader.decryptMany(fields.map((field) => ({ field, context: 'ctx' })))).toEqual([
        'v0',
        'w0',
        'v1',
        'w1',
        'v2',
        'w2',
      ]);
    });

    it('should refuse a subject that belongs to another tenant', async () => {
      const subjectId = randomUUID();
      await vault.encrypt(subjectId, randomUUID(), 'a', 'ctx');
      const error = await rejection(vault.encrypt(subjectId, randomUUID(), 'b', 'ctx'));
      expect(error.code).toBe('SUBJECT_TENANT_MISMATCH');
    });

    it('should refuse an empty subject id or a subject id holding the AAD separator', async () => {
      expect((await rejection(vault.encrypt('', randomUUID(), 'a', 'ctx'))).code).toBe(
        'INVALID_ARGUMENT',
      );
      expect((await rejection(vault.encrypt('a|b', randomUUID(), 'a', 'ctx'))).code).toBe(
        'INVALID_ARGUMENT',
      );
    });
  });

  describe('When a ciphertext is moved or altered', () => {
    it('should refuse it under another subject', async () => {
      const tenantId = randomUUID();
      const field = await vault.encrypt(randomUUID(), tenantId, 'ada@example.test', 'ctx');
      const otherSubject = randomUUID();
      await vault.encrypt(otherSubject, tenantId, 'someone else', 'ctx');

      const error = await rejection(vault.decrypt({ ...field, s: otherSubject }, 'ctx'));
      expect(error.code).toBe('CIPHERTEXT_INVALID');
    });

    it('should refuse it in another context', async () => {
      const field = await vault.encrypt(
        randomUUID(),
        randomUUID(),
        'ada@example.test',
        'RecipientAdded.email',
      );
      const error = await rejection(vault.decrypt(field, 'RecipientAdded.name'));
      expect(error.code).toBe('CIPHERTEXT_INVALID');
    });

    it('should detect tampering', async () => {
      const field = await vault.encrypt(randomUUID(), randomUUID(), 'ada@example.test', 'ctx');
      const bytes = Buffer.from(field.c, 'base64');
      bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x01;
      const error = await rejection(
        vault.decrypt({ ...field, c: bytes.toString('base64') }, 'ctx'),
      );
      expect(error.code).toBe('CIPHERTEXT_INVALID');
    });

    it('should refuse a value that is not an encrypted field', async () => {
      const notAField = { $pii: 1, s: randomUUID() } as unknown as EncryptedField;
      expect((await rejection(vault.decrypt(notAField, 'ctx'))).code).toBe('CIPHERTEXT_INVALID');
    });
  });

  describe('When a subject is shredded', () => {
    it('should read its fields as [erased], here and in every other process', async () => {
      const subjectId = randomUUID();
      const field = await vault.encrypt(subjectId, randomUUID(), 'ada@example.test', 'ctx');
      const uncached = await anotherProcess({ cacheTtlMs: 0 });
      expect(await uncached.decrypt(field, 'ctx')).toBe('ada@example.test');

      const result = await vault.shred(subjectId);

      expect(result.alreadyShredded).toBe(false);
      expect(result.shreddedAt).toBeInstanceOf(Date);
      expect(await vault.decrypt(field, 'ctx')).toBe(ERASED);
      expect(await uncached.decrypt(field, 'ctx')).toBe(ERASED);
      expect(await (await anotherProcess()).decrypt(field, 'ctx')).toBe(ERASED);
    });

    it('should destroy the wrapped key and keep a tombstone', async () => {
      const subjectId = randomUUID();
      const tenantId = randomUUID();
      await vault.encrypt(subjectId, tenantId, 'ada@example.test', 'ctx');
      await vault.shred(subjectId);

      const { rows } = await pool.query(
        'SELECT tenant_id, wrapped_key, shredded_at FROM mp_subject_keys WHERE subject_id = $1',
        [subjectId],
      );
      expect(rows).toEqual([
        { tenant_id: tenantId, wrapped_key: null, shredded_at: expect.any(Date) },
      ]);
      expect(await vault.isShredded(subjectId)).toBe(true);
    });

    it('should be idempotent and report the first erasure', async () => {
      const subjectId = randomUUID();
      await vault.encrypt(subjectId, randomUUID(), 'ada@example.test', 'ctx');
      const first = await vault.shred(subjectId);
      const second = await vault.shred(subjectId);
      const fromElsewhere = await (await anotherProcess()).shred(subjectId);

      expect(second).toEqual({ shreddedAt: first.shreddedAt, alreadyShredded: true });
      expect(fromElsewhere).toEqual({ shreddedAt: first.shreddedAt, alreadyShredded: true });
    });

    it('should refuse to encrypt anything new for it', async () => {
      const subjectId = randomUUID();
      const tenantId = randomUUID();
      await vault.encrypt(subjectId, tenantId, 'ada@example.test', 'ctx');
      await vault.shred(subjectId);

      const error = await rejection(vault.encrypt(subjectId, tenantId, 'again', 'ctx'));
      expect(error.code).toBe('SUBJECT_ERASED');
      const elsewhere = await rejection(
        (await anotherProcess()).encrypt(subjectId, tenantId, 'again', 'ctx'),
      );
      expect(elsewhere.code).toBe('SUBJECT_ERASED');
    });

    it('should leave a tombstone even for a subject that never had a key', async () => {
      const subjectId = randomUUID();
      expect(await vault.isShredded(subjectId)).toBe(false);

      expect((await vault.shred(subjectId)).alreadyShredded).toBe(false);
      expect(await vault.isShredded(subjectId)).toBe(true);
      expect((await rejection(vault.encrypt(subjectId, randomUUID(), 'x', 'ctx'))).code).toBe(
        'SUBJECT_ERASED',
      );
    });

    it('should refuse to shred another tenant\u2019s subject when the tenant is given', async () => {
      const subjectId = randomUUID();
      const tenantId = randomUUID();
      const field = await vault.encrypt(subjectId, tenantId, 'ada@example.test', 'ctx');

      const error = await rejection(vault.shred(subjectId, { tenantId: randomUUID() }));
      expect(error.code).toBe('SUBJECT_TENANT_MISMATCH');
      expect(await vault.decrypt(field, 'ctx')).toBe('ada@example.test');
      expect((await vault.shred(subjectId, { tenantId })).alreadyShredded).toBe(false);
    });

    it('should take effect in a caching process once it evicts the key (or the TTL passes)', async () => {
      const subjectId = randomUUID();
      const field = await vault.encrypt(subjectId, randomUUID(), 'ada@example.test', 'ctx');
      const caching = await anotherProcess({ cacheTtlMs: 60_000 });
      expect(await caching.decrypt(field, 'ctx')).toBe('ada@example.test');

      await vault.shred(subjectId);
      caching.evict(subjectId);

      expect(await caching.decrypt(field, 'ctx')).toBe(ERASED);
    });
  });

  describe('When a subject never had a key', () => {
    it('should read its fields as [erased]', async () => {
      const field = await (await anotherProcess()).encrypt(randomUUID(), randomUUID(), 'x', 'ctx');
      await pool.query('DELETE FROM mp_subject_keys WHERE subject_id = $1', [field.s]);
      const fresh = await anotherProcess();
      expect(await fresh.decrypt(field, 'ctx')).toBe(ERASED);
    });
  });

  describe('When decrypting a batch', () => {
    it('should load every uncached key in one query and keep the order', async () => {
      const tenantId = randomUUID();
      const subjects = [randomUUID(), randomUUID(), randomUUID()];
      const requests = await Promise.all(
        subjects.flatMap((subjectId, i) =>
          ['email', 'name'].map(async (path) => ({
            field: await vault.encrypt(subjectId, tenantId, `${path}-${i}`, `E.${path}`),
            context: `E.${path}`,
          })),
        ),
      );
      await vault.shred(subjects[1] as string);
      const reader = await anotherProcess();
      const spy = jest.spyOn(pool, 'query');
      try {
        const plaintexts = await reader.decryptMany(requests);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(plaintexts).toEqual(['email-0', 'name-0', ERASED, ERASED, 'email-2', 'name-2']);

        spy.mockClear();
        await reader.decryptMany(requests);
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });

    it('should return nothing for nothing, without a query', async () => {
      const spy = jest.spyOn(pool, 'query');
      try {
        expect(await vault.decryptMany([])).toEqual([]);
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('When encrypting a batch', () => {
    it('should encrypt each value for its subject and context, creating the missing keys', async () => {
      const tenantId = randomUUID();
      const known = randomUUID();
      await vault.encrypt(known, tenantId, 'warm-up', 'ctx');
      const fresh = randomUUID();
      const requests = [
        { subjectId: known, plaintext: 'a@example.test', context: 'E.email' },
        { subjectId: fresh, plaintext: 'b@example.test', context: 'E.email' },
        { subjectId: known, plaintext: 'Ada', context: 'E.name' },
      ];

      const fields = await vault.encryptMany(tenantId, requests);

      expect(fields.map((f) => f.s)).toEqual([known, fresh, known]);
      const reader = await anotherProcess();
      expect(
        await reader.decryptMany(
          fields.map((field, i) => ({ field, context: requests[i]!.context })),
        ),
      ).toEqual(['a@example.test', 'b@example.test', 'Ada']);
      const { rows } = await pool.query(
        'SELECT count(*)::int AS keys FROM mp_subject_keys WHERE subject_id = ANY($1::text[])',
        [[known, fresh]],
      );
      expect(rows[0]).toEqual({ keys: 2 });
    });

    it('should refuse the whole batch when one subject is erased or one value is not a string', async () => {
      const tenantId = randomUUID();
      const erased = randomUUID();
      await vault.shred(erased);
      const fine = { subjectId: randomUUID(), plaintext: 'x', context: 'ctx' };

      expect(
        (await rejection(vault.encryptMany(tenantId, [fine, { ...fine, subjectId: erased }]))).code,
      ).toBe('SUBJECT_ERASED');
      expect(
        (
          await rejection(
            vault.encryptMany(tenantId, [fine, { ...fine, plaintext: 7 as unknown as string }]),
          )
        ).code,
      ).toBe('INVALID_ARGUMENT');
    });
  });

  describe('When computing a blind index', () => {
    it('should be stable across processes with the same key and differ per tenant', async () => {
      const tenantId = randomUUID();
      const index = vault.blindIndex(tenantId, 'ada@example.test');
      expect(index).toMatch(/^[0-9a-f]{64}$/);
      expect((await anotherProcess()).blindIndex(tenantId, 'ada@example.test')).toBe(index);
      expect(vault.blindIndex(randomUUID(), 'ada@example.test')).not.toBe(index);
    });
  });

  describe('When reopened', () => {
    it('should open again with the same key, loaded anew', async () => {
      const reopened = await PersonalDataVault.open(pool, new LocalKeyEncryptionKey(rawKey));
      expect(reopened.kekId).toBe(kek.id);
    });

    it('should refuse another key-encryption key with KEK_MISMATCH', async () => {
      const error = await rejection(PersonalDataVault.open(pool, LocalKeyEncryptionKey.generate()));
      expect(error.code).toBe('KEK_MISMATCH');
      expect(error.message).toContain(
        'the key-encryption key does not match the one this data was written with',
      );
    });
  });

  describe('When opened on a new database', () => {
    let fresh: TestDatabase;
    let freshPool: pg.Pool;
    beforeAll(async () => {
      fresh = await createTestDatabase(kind);
      freshPool = createPool(fresh.connectionString, 6);
    });
    beforeEach(async () => {
      await freshPool.query('DROP TABLE IF EXISTS mp_subject_keys, mp_vault_meta');
    });
    afterAll(async () => {
      await freshPool.end();
      await fresh.drop();
    });

    it('should record the key id and a check value', async () => {
      const freshKek = LocalKeyEncryptionKey.generate();
      await PersonalDataVault.open(freshPool, freshKek);
      const { rows } = await freshPool.query<{ id: number; kek_id: string; check_value: Buffer }>(
        'SELECT id, kek_id, check_value FROM mp_vault_meta',
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: 1, kek_id: freshKek.id });
      expect(rows[0]?.check_value.length).toBeGreaterThan(32);
    });

    it('should let several processes open it at once', async () => {
      const freshKek = LocalKeyEncryptionKey.generate();
      const vaults = await Promise.all(
        Array.from({ length: 4 }, () => PersonalDataVault.open(freshPool, freshKek)),
      );
      expect(vaults).toHaveLength(4);
      const { rows } = await freshPool.query('SELECT kek_id FROM mp_vault_meta');
      expect(rows).toEqual([{ kek_id: freshKek.id }]);
    });

    it('should treat wrapped keys without a recorded key id as a mismatch', async () => {
      const freshKek = LocalKeyEncryptionKey.generate();
      const freshVault = await PersonalDataVault.open(freshPool, freshKek);
      await freshVault.encrypt(randomUUID(), randomUUID(), 'x', 'ctx');
      await freshPool.query('DELETE FROM mp_vault_meta');

      const error = await rejection(PersonalDataVault.open(freshPool, freshKek));
      expect(error.code).toBe('KEK_MISMATCH');
    });

    it('should refuse a forged key id whose check value does not unwrap', async () => {
      await PersonalDataVault.open(freshPool, LocalKeyEncryptionKey.generate());
      const impostor = LocalKeyEncryptionKey.generate();
      await freshPool.query('UPDATE mp_vault_meta SET kek_id = $1', [impostor.id]);

      expect((await rejection(PersonalDataVault.open(freshPool, impostor))).code).toBe(
        'KEK_MISMATCH',
      );
    });
  });
});
