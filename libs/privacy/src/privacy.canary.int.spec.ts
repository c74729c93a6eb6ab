import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import { PostgresEventStore, createPool } from '#event-store';
import {
  type TestDatabase,
  createTestDatabase,
  reportSkipped,
  sqlBackends,
  tablesHoldingMarker as tablesHolding,
} from '#testing';

import { ERASED } from './encrypted-field.js';
import { LocalKeyEncryptionKey } from './key-encryption-key.js';
import { type PersonalDataMap, PersonalDataCodec } from './personal-data.codec.js';
import { PersonalDataVault } from './personal-data.vault.js';

if (!process.env.DATABASE_URL)
  reportSkipped('privacy canary on PostgreSQL', 'DATABASE_URL not set');

const PERSONAL_DATA: PersonalDataMap = {
  RecipientAdded: { subject: 'recipientId', fields: ['email', 'profile.name', 'attributes'] },
};

describe.each(sqlBackends())('Privacy canary on %s', (kind) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let kek: LocalKeyEncryptionKey;
  let store: PostgresEventStore;
  let vault: PersonalDataVault;
  let codec: PersonalDataCodec;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    pool = createPool(database.connectionString, 6);
    store = await PostgresEventStore.open(pool, { listen: false });
    kek = LocalKeyEncryptionKey.generate();
    vault = await PersonalDataVault.open(pool, kek);
    codec = new PersonalDataCodec(vault, PERSONAL_DATA);
    await pool.query(
      'CREATE TABLE canary_scratch (id uuid PRIMARY KEY, data jsonb NOT NULL, raw bytea)',
    );
    await pool.query('CREATE TABLE canary_control (id uuid PRIMARY KEY, data jsonb, raw bytea)');
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  describe('When the scan is shown a plaintext copy', () => {
    it('should find it, in clear, in JSON, in bytea and as base64 inside a longer value', async () => {
      const plain = `control-${randomUUID()}@example.test`;
      const inJson = `control-${randomUUID()}@example.test`;
      const inBytea = `control-${randomUUID()}@example.test`;
      const inBase64 = `control-${randomUUID()}@example.test`;
      await pool.query('INSERT INTO canary_control VALUES ($1, $2, NULL)', [
        randomUUID(),
        JSON.stringify({ note: `x ${plain}` }),
      ]);
      await pool.query('INSERT INTO canary_control VALUES ($1, $2, NULL)', [
        randomUUID(),
        JSON.stringify({ deep: [{ email: inJson }] }),
      ]);
      await pool.query('INSERT INTO canary_control VALUES ($1, NULL, $2)', [
        randomUUID(),
        Buffer.from(`ab${inBytea}`),
      ]);
      await pool.query('INSERT INTO canary_control VALUES ($1, $2, NULL)', [
        randomUUID(),
        JSON.stringify({ blob: Buffer.from(`x${inBase64}yz`).toString('base64') }),
      ]);

      for (const marker of [plain, inJson, inBytea, inBase64]) {
        expect(await tablesHolding(pool, marker)).toEqual(['public.canary_control']);
      }
    });
  });

  describe('When a recipient\u2019s personal data goes through the codec into the event log', () => {
    it('should leave no plaintext copy anywhere, before and after erasure', async () => {
      const marker = `canary-${randomUUID()}@example.test`;
      const tenantId = randomUUID();
      const recipientId = randomUUID();
      const data = {
        recipientId,
        listId: randomUUID(),
        email: marker,
        profile: { name: `Canary ${marker}`, locale: 'en-GB' },
        attributes: { note: marker, tags: [marker] },
      };

      const encrypted = await codec.encryptEvent('RecipientAdded', data, tenantId);
      await store.append(`recipient-${recipientId}`, [
        {
          eventId: randomUUID(),
          type: 'RecipientAdded',
          data: encrypted,
          metadata: { tenantId, actor: 'test' },
        },
      ]);
      await pool.query('INSERT INTO canary_scratch VALUES ($1, $2, $3)', [
        randomUUID(),
        JSON.stringify(encrypted),
        Buffer.from(JSON.stringify(encrypted)),
      ]);
      await pool.query('INSERT INTO canary_scratch VALUES ($1, $2, NULL)', [
        randomUUID(),
        JSON.stringify({ suppressed: vault.blindIndex(tenantId, marker) }),
      ]);

      expect(await tablesHolding(pool, marker)).toEqual([]);
      const [recorded] = await store.readStream(`recipient-${recipientId}`);
      expect(await codec.decryptEvents([{ type: 'RecipientAdded', data: recorded?.data }])).toEqual(
        [data],
      );

      await vault.shred(recipientId);

      const afterErasure = [
        await codec.decryptEvent('RecipientAdded', recorded?.data),
        await new PersonalDataCodec(
          await PersonalDataVault.open(pool, kek),
          PERSONAL_DATA,
        ).decryptEvent('RecipientAdded', recorded?.data),
      ];
      for (const decrypted of afterErasure) {
        expect(decrypted).toEqual({
          ...data,
          email: ERASED,
          profile: { name: ERASED, locale: 'en-GB' },
          attributes: ERASED,
        });
        expect(JSON.stringify(decrypted)).not.toContain(marker);
      }
      expect(await tablesHolding(pool, marker)).toEqual([]);
      const { rows } = await pool.query(
        'SELECT wrapped_key FROM mp_subject_keys WHERE subject_id = $1',
        [recipientId],
      );
      expect(rows).toEqual([{ wrapped_key: null }]);
      expect((await store.verifyChain()).ok).toBe(true);
    });
  });
});
