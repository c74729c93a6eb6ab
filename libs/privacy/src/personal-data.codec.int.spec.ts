import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';

import { createPool } from '#event-store';
import {
  type TestDatabase,
  createTestDatabase,
  reportSkipped,
  sqlBackends,
  rejectionOf,
} from '#testing';

import { type EncryptedField, ERASED, isEncryptedField } from './encrypted-field.js';
import { LocalKeyEncryptionKey } from './key-encryption-key.js';
import { type PersonalDataMap, PersonalDataCodec } from './personal-data.codec.js';
import { PersonalDataVault } from './personal-data.vault.js';
import { PrivacyError } from './privacy.errors.js';

if (!process.env.DATABASE_URL)
  reportSkipped('PersonalDataCodec on PostgreSQL', 'DATABASE_URL not set');

const PERSONAL_DATA: PersonalDataMap = {
  RecipientAdded: {
    subject: 'recipientId',
    fields: ['email', 'profile.name', 'profile.address.city', 'attributes', 'score', 'tags'],
  },
  RecipientCorrected: { subject: 'recipient.id', fields: ['recipient.email'] },
  MessageOpened: { subject: 'recipientId', fields: ['client.ip'] },
};

interface RecipientAddedData {
  recipientId?: string;
  listId: string;
  email?: string | null;
  profile?: { name?: string; locale: string; address?: { city?: string; country: string } };
  attributes?: Record<string, unknown>;
  score?: number;
  tags?: string[];
}

/** A RecipientAdded payload with fresh ids; overrides win. */
const aRecipientAdded = (overrides: Partial<RecipientAddedData> = {}): RecipientAddedData => ({
  recipientId: randomUUID(),
  listId: randomUUID(),
  email: `ada-${randomUUID()}@example.test`,
  profile: { name: 'Ada Lovelace', locale: 'en-GB', address: { city: 'London', country: 'GB' } },
  attributes: { plan: 'gold', visits: 3, nested: { vip: true } },
  score: 42,
  tags: ['a', 'b'],
  ...overrides,
});

const rejection = (promise: Promise<unknown>): Promise<PrivacyError> =>
  rejectionOf(promise, PrivacyError);

describe.each(sqlBackends())('PersonalDataCodec on %s', (kind) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let kek: LocalKeyEncryptionKey;
  let vault: PersonalDataVault;
  let codec: PersonalDataCodec;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    pool = createPool(database.connectionString, 4);
    kek = LocalKeyEncryptionKey.generate();
    vault = await PersonalDataVault.open(pool, kek);
    codec = new PersonalDataCodec(vault, PERSONAL_DATA);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  describe('When an event with personal fields is encrypted', () => {
    it('should encrypt exactly the listed fields, nested ones included, and leave the rest', async () => {
      const data = aRecipientAdded();
      const encrypted = await codec.encryptEvent('RecipientAdded', data, randomUUID());

      expect(encrypted.recipientId).toBe(data.recipientId);
      expect(encrypted.listId).toBe(data.listId);
      expect(encrypted.profile?.locale).toBe('en-GB');
      expect(encrypted.profile?.address?.country).toBe('GB');
      for (const value of [
        encrypted.email,
        encrypted.profile?.name,
        encrypted.profile?.address?.city,
        encrypted.attributes,
        encrypted.score,
        encrypted.tags,
      ]) {
        expect(isEncryptedField(value)).toBe(true);
        expect(value).toMatchObject({ s: data.recipientId });
      }
      expect(JSON.stringify(encrypted)).not.toContain('Ada Lovelace');
      expect(JSON.stringify(encrypted)).not.toContain(data.email);
    });

    it('should not change the event it was given', async () => {
      const data = aRecipientAdded();
      const before = structuredClone(data);
      await codec.encryptEvent('RecipientAdded', data, randomUUID());
      expect(data).toEqual(before);
    });

    it('should decrypt back to the same values and types, after a JSON round trip', async () => {
      const data = aRecipientAdded();
      const stored: unknown = JSON.parse(
        JSON.stringify(await codec.encryptEvent('RecipientAdded', data, randomUUID())),
      );

      expect(await codec.decryptEvent('RecipientAdded', stored)).toEqual(data);
    });

    it('should mark non-string values as JSON and keep strings as they are', async () => {
      const encrypted = (await codec.encryptEvent(
        'RecipientAdded',
        aRecipientAdded(),
        randomUUID(),
      )) as unknown as Record<string, { j?: 1 }>;
      expect(encrypted.email?.j).toBeUndefined();
      expect(encrypted.attributes?.j).toBe(1);
      expect(encrypted.score?.j).toBe(1);
      expect(encrypted.tags?.j).toBe(1);
    });

    it('should leave missing, undefined and null fields as they are', async () => {
      const data = aRecipientAdded({
        email: null,
        attributes: undefined,
        profile: { locale: 'fr-FR' },
      });
      delete data.score;
      const encrypted = await codec.encryptEvent('RecipientAdded', data, randomUUID());

      expect(encrypted.email).toBeNull();
      expect('attributes' in encrypted && encrypted.attributes === undefined).toBe(true);
      expect('score' in encrypted).toBe(false);
      expect(encrypted.profile).toEqual({ locale: 'fr-FR' });
      expect(await codec.decryptEvent('RecipientAdded', encrypted)).toEqual(data);
    });

    it('should find the subject on a nested path', async () => {
      const recipient = { id: randomUUID(), email: `ada-${randomUUID()}@example.test` };
      const encrypted = await codec.encryptEvent('RecipientCorrected', { recipient }, randomUUID());

      expect(encrypted.recipient.id).toBe(recipient.id);
      expect(encrypted.recipient.email).toMatchObject({ $pii: 1, s: recipient.id });
      expect(await codec.decryptEvent('RecipientCorrected', encrypted)).toEqual({ recipient });
    });

    it('should not encrypt twice a field that is already encrypted', async () => {
      const tenantId = randomUUID();
      const once = await codec.encryptEvent('RecipientAdded', aRecipientAdded(), tenantId);
      const twice = await codec.encryptEvent('RecipientAdded', once, tenantId);
      expect(twice).toEqual(once);
    });

    it('should pass events without personal data through untouched', async () => {
      const data = { campaignId: randomUUID(), name: 'Spring sale' };
      expect(await codec.encryptEvent('CampaignDrafted', data, randomUUID())).toBe(data);
      expect(await codec.decryptEvent('CampaignDrafted', data)).toBe(data);
      expect(codec.hasPersonalData('CampaignDrafted')).toBe(false);
      expect(codec.hasPersonalData('RecipientAdded')).toBe(true);
    });

    it('should refuse personal fields without a subject id', async () => {
      const error = await rejection(
        codec.encryptEvent(
          'RecipientAdded',
          aRecipientAdded({ recipientId: undefined }),
          randomUUID(),
        ),
      );
      expect(error.code).toBe('SUBJECT_ID_MISSING');
    });
  });

  describe('When a personal field is moved', () => {
    it('should refuse it in another field of the same subject', async () => {
      const encrypted = await codec.encryptEvent('RecipientAdded', aRecipientAdded(), randomUUID());
      const moved = { ...encrypted, email: encrypted.profile?.name };
      expect((await rejection(codec.decryptEvent('RecipientAdded', moved))).code).toBe(
        'CIPHERTEXT_INVALID',
      );
    });

    it('should refuse it in an event of another subject', async () => {
      const tenantId = randomUUID();
      const a = await codec.encryptEvent('RecipientAdded', aRecipientAdded(), tenantId);
      const b = await codec.encryptEvent('RecipientAdded', aRecipientAdded(), tenantId);
      const moved = { ...b, email: a.email };
      expect((await rejection(codec.decryptEvent('RecipientAdded', moved))).code).toBe(
        'CIPHERTEXT_INVALID',
      );
    });

    it('should refuse it in another event type', async () => {
      const recipientId = randomUUID();
      const added = await codec.encryptEvent(
        'RecipientAdded',
        aRecipientAdded({ recipientId }),
        randomUUID(),
      );
      const forged = { recipient: { id: recipientId, email: added.email } };
      expect((await rejection(codec.decryptEvent('RecipientCorrected', forged))).code).toBe(
        'CIPHERTEXT_INVALID',
      );
    });
  });

  describe('When the subject is erased', () => {
    it('should read every personal field as [erased], whatever its type', async () => {
      const data = aRecipientAdded();
      const encrypted = await codec.encryptEvent('RecipientAdded', data, randomUUID());
      await vault.shred(data.recipientId as string);

      expect(await codec.decryptEvent('RecipientAdded', encrypted)).toEqual({
        ...data,
        email: ERASED,
        profile: { name: ERASED, locale: 'en-GB', address: { city: ERASED, country: 'GB' } },
        attributes: ERASED,
        score: ERASED,
        tags: ERASED,
      });
    });

    it('should refuse to encrypt a new event for it', async () => {
      const data = aRecipientAdded();
      await vault.shred(data.recipientId as string);
      expect((await rejection(codec.encryptEvent('RecipientAdded', data, randomUUID()))).code).toBe(
        'SUBJECT_ERASED',
      );
    });
  });

  describe('When decrypting many events', () => {
    it('should load the keys of every subject in one query and keep the order', async () => {
      const tenantId = randomUUID();
      const originals = [
        { type: 'RecipientAdded', data: aRecipientAdded() as unknown },
        { type: 'CampaignDrafted', data: { campaignId: randomUUID() } as unknown },
        {
          type: 'MessageOpened',
          data: { recipientId: randomUUID(), client: { ip: '203.0.113.7', ua: 'x' } } as unknown,
        },
        { type: 'RecipientAdded', data: aRecipientAdded() as unknown },
      ];
      const stored = await Promise.all(
        originals.map(async ({ type, data }) => ({
          type,
          data: await codec.encryptEvent(type, data, tenantId),
        })),
      );
      const reader = new PersonalDataCodec(await PersonalDataVault.open(pool, kek), PERSONAL_DATA);
      const spy = jest.spyOn(pool, 'query');
      try {
        expect(await reader.decryptEvents(stored)).toEqual(originals.map(({ data }) => data));
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe("When an event's fields are encrypted together", () => {
    const TOGETHER: PersonalDataMap = {
      ContactImported: {
        subject: 'recipientId',
        fields: ['email', 'profile.name', 'attributes', 'consent.ip'],
        together: true,
      },
    };
    let together: PersonalDataCodec;
    beforeAll(() => {
      together = new PersonalDataCodec(vault, TOGETHER);
    });
    const aContactImported = () => ({
      recipientId: randomUUID(),
      listId: randomUUID(),
      email: `ada-${randomUUID()}@example.test`,
      profile: { name: 'Ada Lovelace', locale: 'en-GB' },
      attributes: { plan: 'gold', visits: 3 },
      consent: { source: 'import', ip: null },
    });

    it('should store one value at the first field, list the fields it holds, and leave the rest out', async () => {
      const data = aContactImported();
      const stored = (await together.encryptEvent('ContactImported', data, randomUUID())) as Record<
        string,
        unknown
      >;

      const email = stored.email as { s: string; g?: string[] };
      expect(isEncryptedField(email)).toBe(true);
      expect(email.s).toBe(data.recipientId);
      expect(email.g).toEqual(['email', 'profile.name', 'attributes']);
      expect(stored).toEqual({
        recipientId: data.recipientId,
        listId: data.listId,
        email,
        profile: { locale: 'en-GB' },
        consent: { source: 'import', ip: null },
      });
      expect(JSON.stringify(stored)).not.toMatch(/Ada|gold|example\.test/);
    });

    it('should decrypt back to the same data, after a JSON round trip', async () => {
      const data = aContactImported();
      const stored = await together.encryptEvent('ContactImported', data, randomUUID());
      const reread = JSON.parse(JSON.stringify(stored)) as typeof stored;

      expect(await together.decryptEvent('ContactImported', reread)).toEqual(data);
    });

    it('should encrypt a lone field as usual', async () => {
      const data = { ...aContactImported(), profile: { locale: 'fr' }, attributes: undefined };
      const stored = (await together.encryptEvent(
        'ContactImported',
        data,
        randomUUID(),
      )) as unknown as {
        email: { g?: unknown };
      };

      expect(stored.email.g).toBeUndefined();
      expect(await together.decryptEvent('ContactImported', stored)).toEqual(data);
    });

    it('should read every field it holds as [erased] once the subject is erased', async () => {
      const data = aContactImported();
      const stored = await together.encryptEvent('ContactImported', data, randomUUID());
      await vault.shred(data.recipientId);

      expect(await together.decryptEvent('ContactImported', stored)).toEqual({
        ...data,
        email: ERASED,
        profile: { name: ERASED, locale: 'en-GB' },
        attributes: ERASED,
      });
    });

    it('should refuse a value whose list of fields was changed', async () => {
      const stored = (await together.encryptEvent(
        'ContactImported',
        aContactImported(),
        randomUUID(),
      )) as unknown as { email: { g: string[] } };
      for (const g of [
        ['email', 'attributes', 'profile.name'],
        ['email', 'profile.name'],
        ['email', 'profile.name', 'attributes', 'listId'],
        ['profile.name', 'email', 'attributes'],
      ]) {
        const tampered = { ...stored, email: { ...stored.email, g } };
        expect((await rejection(together.decryptEvent('ContactImported', tampered))).code).toBe(
          'CIPHERTEXT_INVALID',
        );
      }
    });

    it('should decrypt a read model copy of each field, the shared value once', async () => {
      const data = aContactImported();
      const stored = (await together.encryptEvent(
        'ContactImported',
        data,
        randomUUID(),
      )) as unknown as {
        email: EncryptedField;
      };
      const sealed = ['email', 'profile.name', 'attributes'].map((path) => ({
        context: `ContactImported.${path}`,
        field: stored.email,
      }));
      const spy = jest.spyOn(vault, 'decryptMany');
      try {
        expect(await together.decryptSealed([...sealed, null])).toEqual([
          data.email,
          'Ada Lovelace',
          { plan: 'gold', visits: 3 },
          null,
        ]);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(spy.mock.calls[0]![0]).toHaveLength(1);
      } finally {
        spy.mockRestore();
      }
      const elsewhere = { context: 'ContactImported.listId', field: stored.email };
      expect((await rejection(together.decryptSealed([elsewhere]))).code).toBe(
        'CIPHERTEXT_INVALID',
      );
    });

    it('should refuse to reach a field through an array', async () => {
      const codec = new PersonalDataCodec(vault, {
        E: { subject: 'id', fields: ['a', 'list.0'], together: true },
      });
      const data = { id: randomUUID(), a: 'x', list: ['y', 'z'] };
      expect((await rejection(codec.encryptEvent('E', data, randomUUID()))).code).toBe(
        'INVALID_ARGUMENT',
      );
    });

    it('should encrypt many events in one vault call and keep their order', async () => {
      const tenantId = randomUUID();
      const originals = [aContactImported(), aContactImported(), aContactImported()];
      const spy = jest.spyOn(vault, 'encryptMany');
      let stored: unknown[];
      try {
        stored = await together.encryptEvents(
          originals.map((data) => ({ type: 'ContactImported', data })),
          tenantId,
        );
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
      expect(
        await together.decryptEvents(stored.map((data) => ({ type: 'ContactImported', data }))),
      ).toEqual(originals);
    });
  });

  describe('When the map is invalid', () => {
    it('should refuse empty paths, prototype keys and a subject inside a personal field', () => {
      for (const map of [
        { E: { subject: 'id', fields: [''] } },
        { E: { subject: 'id', fields: ['a..b'] } },
        { E: { subject: 'id', fields: ['__proto__.x'] } },
        { E: { subject: 'person.id', fields: ['person'] } },
        { E: { subject: 'id', fields: ['id'] } },
        { E: { subject: 'id', fields: ['a', 'b,c'], together: true } },
        { E: { subject: 'id', fields: ['a#b', 'c'], together: true } },
        { E: { subject: 'id', fields: ['a', 'a.b'], together: true } },
      ]) {
        expect(() => new PersonalDataCodec(vault, map)).toThrow(PrivacyError);
      }
    });
  });
});
