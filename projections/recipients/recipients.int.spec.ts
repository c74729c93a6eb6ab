import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  type RecipientEvent,
  type RecipientEventType,
  toContactListStreamId,
  toRecipientStreamId,
} from '#domain';
import type { RecordedEvent } from '#event-store';
import type { EncryptedField } from '#privacy';
import {
  type RecipientMembershipRow,
  type RecipientRow,
  type SqlExecutor,
  recipientsProjection,
} from '#projections';
import {
  ProjectionHarness,
  aContactListDeleted,
  aNow,
  anId,
  minutesAfter,
  sqlBackends,
} from '#testing';

import {
  aConsent,
  aFakeEmailIndex,
  aRecipientAdded,
  aRecipientCorrected,
  aRecipientErased,
  aRecipientObjected,
  aRecipientRestricted,
  aRecipientRestrictionLifted,
  aRecipientSubscribed,
  aRecipientUnsubscribed,
  anOptInConfirmed,
  anOptInRequested,
} from '../../libs/testing/src/builders/recipient.builders.js';

type Ids = { recipientId: string; tenantId: string };
type Tables = { recipients: string; recipient_memberships: string };

const LIVE: Tables = { recipients: 'recipients', recipient_memberships: 'recipient_memberships' };

/** An ISO time `minutes` after the builders' clock: every step of a history gets its own. */
const at = (minutes: number): string => minutesAfter(aNow(), minutes).toISOString();

/** Ciphertext as the codec leaves it in an event. The projection keeps it, never decrypts it. */
const cipher = (subjectId: string, label: string): EncryptedField => ({
  $pii: 1,
  s: subjectId,
  c: Buffer.from(`${label}:${subjectId}`).toString('base64'),
});

/** Event types declare personal fields as plaintext: in the store they are ciphertext. */
const ct = (field: EncryptedField): never => field as never;

const withData = <E extends RecipientEvent>(event: E, data: Partial<E['data']>): E => ({
  ...event,
  data: { ...event.data, ...data },
});

/** `RecipientAdded` with every personal field as ciphertext. */
const anEncryptedRecipientAdded = (ids: Ids, addedAt = at(0)) => {
  const email = cipher(ids.recipientId, 'email');
  const name = cipher(ids.recipientId, 'name');
  const attributes = cipher(ids.recipientId, 'attributes');
  const emailIndex = aFakeEmailIndex(`${ids.recipientId}@example.com`);
  const event = withData(aRecipientAdded({ ...ids, emailIndex, addedAt }), {
    email: ct(email),
    name: ct(name),
    attributes: ct(attributes),
  });
  return { event, email, name, attributes, emailIndex };
};

describe.each(sqlBackends())('Recipients projection on %s', (backend) => {
  let harness: ProjectionHarness;
  let sql: SqlExecutor;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [recipientsProjection]);
    sql = {
      query: async <R>(q: string, p?: unknown[]) => (await harness.pool.query(q, p)).rows as R[],
    };
  });
  afterAll(async () => harness.stop());

  const newIds = (tenantId = anId()): Ids => ({ recipientId: anId(), tenantId });

  const row = async (recipientId: string, tables: Tables = LIVE) =>
    (
      await harness.rows<RecipientRow>(
        `SELECT * FROM ${tables.recipients} WHERE recipient_id = $1`,
        [recipientId],
      )
    )[0];

  const memberships = (recipientId: string, tables: Tables = LIVE) =>
    harness.rows<RecipientMembershipRow>(
      `SELECT * FROM ${tables.recipient_memberships} WHERE recipient_id = $1 ORDER BY list_id`,
      [recipientId],
    );

  const membership = async (recipientId: string, listId: string) =>
    (await memberships(recipientId)).find((m) => m.list_id === listId);

  /** Every row of a tenant, in a stable order: what two ways of projecting must agree on. */
  const snapshotOfTenant = async (tenantId: string, tables: Tables = LIVE) => ({
    recipients: await harness.rows<RecipientRow>(
      `SELECT * FROM ${tables.recipients} WHERE tenant_id = $1 ORDER BY recipient_id`,
      [tenantId],
    ),
    memberships: await harness.rows<RecipientMembershipRow>(
      `SELECT * FROM ${tables.recipient_memberships} WHERE tenant_id = $1
        ORDER BY recipient_id, list_id`,
      [tenantId],
    ),
  });

  const snapshotOfRecipient = async (recipientId: string) => ({
    row: await row(recipientId),
    memberships: await memberships(recipientId),
  });

  const given = async (ids: Ids, events: readonly RecipientEvent[]): Promise<string> => {
    const stream = toRecipientStreamId(ids.recipientId);
    await harness.append(stream, events, ids.tenantId);
    await harness.runner.catchUp();
    return stream;
  };

  /** Delivers stored events again, straight to the live tables, as a restarted subscription would. */
  const redeliver = (events: readonly RecordedEvent[]) =>
    recipientsProjection.apply(events, sql, LIVE);

  /** Empty copies of the live tables, to project the same events a second way. */
  const copyOfTables = async (suffix: string): Promise<Tables> => {
    const tables = {
      recipients: `recipients_${suffix}`,
      recipient_memberships: `recipient_memberships_${suffix}`,
    };
    await harness.rows(`CREATE TABLE ${tables.recipients} (LIKE recipients INCLUDING ALL)`);
    await harness.rows(
      `CREATE TABLE ${tables.recipient_memberships} (LIKE recipient_memberships INCLUDING ALL)`,
    );
    return tables;
  };

  describe('When a recipient is added', () => {
    it('should create the row with the ciphertext sealed under its context and no membership', async () => {
      const ids = newIds();
      const added = anEncryptedRecipientAdded(ids, at(0));
      await given(ids, [added.event]);

      expect(await row(ids.recipientId)).toEqual({
        recipient_id: ids.recipientId,
        tenant_id: ids.tenantId,
        email_index: added.emailIndex,
        email: { context: 'RecipientAdded.email', field: added.email },
        name: { context: 'RecipientAdded.name', field: added.name },
        attributes: { context: 'RecipientAdded.attributes', field: added.attributes },
        status: 'active',
        unsubscribed_all: false,
        restricted: false,
        objected: false,
        created_at: new Date(at(0)),
        updated_at: new Date(at(0)),
        erased_at: null,
        last_revision: '0',
      });
      expect(await memberships(ids.recipientId)).toEqual([]);
    });

    it('should keep, for each field, the one value its fields were encrypted together in', async () => {
      const ids = newIds();
      const together: EncryptedField = {
        ...cipher(ids.recipientId, 'together'),
        g: ['email', 'attributes', 'consent.ipAddress'],
      };
      const listId = anId();
      const { event } = anEncryptedRecipientAdded(ids, at(0));
      const { name: _name, attributes: _attributes, ...rest } = event.data;
      await given(ids, [
        {
          ...event,
          data: {
            ...rest,
            email: ct(together),
            listIds: [listId],
            consent: aConsent({ source: 'import', collectedAt: at(0) }),
          } as never,
        },
      ]);

      expect(await row(ids.recipientId)).toMatchObject({
        email: { context: 'RecipientAdded.email', field: together },
        name: null,
        attributes: { context: 'RecipientAdded.attributes', field: together },
      });
      expect(await memberships(ids.recipientId)).toMatchObject([
        {
          list_id: listId,
          consent_ip: { context: 'RecipientAdded.consent.ipAddress', field: together },
        },
      ]);
    });

    it('should drop plaintext personal values to null so they never land in the read model', async () => {
      const ids = newIds();
      const listId = anId();
      const address = `plain.${ids.recipientId}@example.com`;
      await given(ids, [
        aRecipientAdded({
          ...ids,
          email: address,
          name: 'Plain Name',
          attributes: { city: 'Plainville' },
        }),
        aRecipientCorrected({ ...ids, name: 'Plain Corrected' }),
        aRecipientSubscribed({
          ...ids,
          listId,
          consent: aConsent({ source: 'form', ipAddress: '203.0.113.77' }),
        }),
      ]);

      const recipient = await row(ids.recipientId);
      expect(recipient).toMatchObject({
        email: null,
        name: null,
        attributes: null,
        email_index: aFakeEmailIndex(address),
        status: 'active',
        last_revision: '2',
      });
      const [joined] = await memberships(ids.recipientId);
      expect(joined).toMatchObject({ list_id: listId, status: 'subscribed', consent_ip: null });
      const stored = JSON.stringify({ recipient, joined });
      for (const plaintext of [address, 'Plain Name', 'Plainville', 'Plain Corrected']) {
        expect(stored).not.toContain(plaintext);
      }
      expect(stored).not.toContain('203.0.113.77');
    });
  });

  describe('When a recipient is corrected', () => {
    it('should replace only the given fields, sealed under RecipientCorrected.*', async () => {
      const ids = newIds();
      const added = anEncryptedRecipientAdded(ids, at(0));
      const stream = await given(ids, [added.event]);

      const newName = cipher(ids.recipientId, 'name-2');
      await harness.append(stream, [
        withData(aRecipientCorrected({ ...ids, correctedAt: at(1) }), { name: ct(newName) }),
      ]);
      await harness.runner.catchUp();
      expect(await row(ids.recipientId)).toMatchObject({
        email: { context: 'RecipientAdded.email', field: added.email },
        email_index: added.emailIndex,
        name: { context: 'RecipientCorrected.name', field: newName },
        attributes: { context: 'RecipientAdded.attributes', field: added.attributes },
        created_at: new Date(at(0)),
        updated_at: new Date(at(1)),
        last_revision: '1',
      });

      const newEmail = cipher(ids.recipientId, 'email-2');
      const newAttributes = cipher(ids.recipientId, 'attributes-2');
      const newIndex = aFakeEmailIndex(`new.${ids.recipientId}@example.com`);
      await harness.append(stream, [
        withData(aRecipientCorrected({ ...ids, emailIndex: newIndex, correctedAt: at(2) }), {
          email: ct(newEmail),
          attributes: ct(newAttributes),
        }),
      ]);
      await harness.runner.catchUp();
      expect(await row(ids.recipientId)).toMatchObject({
        email: { context: 'RecipientCorrected.email', field: newEmail },
        email_index: newIndex,
        name: { context: 'RecipientCorrected.name', field: newName },
        attributes: { context: 'RecipientCorrected.attributes', field: newAttributes },
        updated_at: new Date(at(2)),
        last_revision: '2',
      });

      await harness.append(stream, [
        aRecipientCorrected({ ...ids, name: null, correctedAt: at(3) }),
      ]);
      await harness.runner.catchUp();
      expect(await row(ids.recipientId)).toMatchObject({
        email: { context: 'RecipientCorrected.email', field: newEmail },
        email_index: newIndex,
        name: null,
        attributes: { context: 'RecipientCorrected.attributes', field: newAttributes },
        last_revision: '3',
      });
    });
  });

  describe('When a recipient is added with lists (one event, as an import writes)', () => {
    it('should join every list on the event consent, its IP sealed under RecipientAdded.consent.ipAddress', async () => {
      const ids = newIds();
      const [first, second] = [anId(), anId()];
      const ip = cipher(ids.recipientId, 'ip');
      const { event } = anEncryptedRecipientAdded(ids, at(5));
      await given(ids, [
        withData(event, {
          listIds: [first, second],
          consent: aConsent({ source: 'import', collectedAt: at(4), ipAddress: ct(ip) }),
        }),
      ]);

      const joined = await memberships(ids.recipientId);
      expect(joined.map((m) => m.list_id).sort()).toEqual([first, second].sort());
      for (const membership of joined) {
        expect(membership).toMatchObject({
          tenant_id: ids.tenantId,
          status: 'subscribed',
          consent_source: 'import',
          consent_collected_at: new Date(at(4)),
          consent_ip: { context: 'RecipientAdded.consent.ipAddress', field: ip },
          joined_at: new Date(at(5)),
          since: new Date(at(5)),
        });
      }
      expect(await row(ids.recipientId)).toMatchObject({ status: 'active', last_revision: '0' });
    });

    it('should clear those memberships on erasure like any other', async () => {
      const ids = newIds();
      const listId = anId();
      const { event } = anEncryptedRecipientAdded(ids, at(5));
      await given(ids, [
        withData(event, { listIds: [listId], consent: aConsent({ source: 'import' }) }),
        aRecipientErased({ ...ids }),
      ]);

      expect(await memberships(ids.recipientId)).toEqual([]);
      expect(await row(ids.recipientId)).toMatchObject({ status: 'erased', email: null });
    });
  });

  describe('When a recipient subscribes and confirms a double opt-in', () => {
    it('should keep one membership per list with its consent evidence', async () => {
      const ids = newIds();
      const direct = anId();
      const doubleOptIn = anId();
      const requestId = anId();
      const subscribeIp = cipher(ids.recipientId, 'ip-1');
      const optInIp = cipher(ids.recipientId, 'ip-2');
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientSubscribed({
          ...ids,
          listId: direct,
          consent: aConsent({ source: 'api', collectedAt: at(-60), ipAddress: ct(subscribeIp) }),
          subscribedAt: at(1),
        }),
        anOptInRequested({
          ...ids,
          listId: doubleOptIn,
          requestId,
          consent: aConsent({ source: 'form', collectedAt: at(2), ipAddress: ct(optInIp) }),
          requestedAt: at(2),
          expiresAt: at(60),
        }),
      ]);

      expect(await memberships(ids.recipientId)).toEqual(
        expect.arrayContaining([
          {
            recipient_id: ids.recipientId,
            list_id: direct,
            tenant_id: ids.tenantId,
            status: 'subscribed',
            consent_source: 'api',
            consent_collected_at: new Date(at(-60)),
            consent_ip: { context: 'RecipientSubscribed.consent.ipAddress', field: subscribeIp },
            opt_in_request_id: null,
            opt_in_expires_at: null,
            confirmed_at: null,
            joined_at: new Date(at(1)),
            since: new Date(at(1)),
          },
          {
            recipient_id: ids.recipientId,
            list_id: doubleOptIn,
            tenant_id: ids.tenantId,
            status: 'pending',
            consent_source: 'form',
            consent_collected_at: new Date(at(2)),
            consent_ip: { context: 'OptInRequested.consent.ipAddress', field: optInIp },
            opt_in_request_id: requestId,
            opt_in_expires_at: new Date(at(60)),
            confirmed_at: null,
            joined_at: new Date(at(2)),
            since: new Date(at(2)),
          },
        ]),
      );
      expect(await memberships(ids.recipientId)).toHaveLength(2);
      expect(await row(ids.recipientId)).toMatchObject({
        updated_at: new Date(at(2)),
        last_revision: '2',
      });

      await harness.append(stream, [
        anOptInConfirmed({ ...ids, listId: doubleOptIn, requestId, confirmedAt: at(3) }),
      ]);
      await harness.runner.catchUp();
      expect(await membership(ids.recipientId, doubleOptIn)).toMatchObject({
        status: 'subscribed',
        consent_source: 'form',
        consent_ip: { context: 'OptInRequested.consent.ipAddress', field: optInIp },
        opt_in_request_id: null,
        opt_in_expires_at: null,
        confirmed_at: new Date(at(3)),
        joined_at: new Date(at(2)),
        since: new Date(at(3)),
      });
      expect(await membership(ids.recipientId, direct)).toMatchObject({ status: 'subscribed' });
      expect(await row(ids.recipientId)).toMatchObject({
        updated_at: new Date(at(3)),
        last_revision: '3',
      });
    });
  });

  describe('When a recipient unsubscribes', () => {
    const givenTwoLists = async () => {
      const ids = newIds();
      const first = anId();
      const second = anId();
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientSubscribed({ ...ids, listId: first, subscribedAt: at(1) }),
        anOptInRequested({ ...ids, listId: second, requestedAt: at(2), expiresAt: at(60) }),
      ]);
      return { ids, first, second, stream };
    };

    it('should leave one list and keep the others', async () => {
      const { ids, first, second, stream } = await givenTwoLists();
      await harness.append(stream, [
        aRecipientUnsubscribed({ ...ids, listId: first, unsubscribedAt: at(3) }),
      ]);
      await harness.runner.catchUp();

      expect(await membership(ids.recipientId, first)).toMatchObject({
        status: 'unsubscribed',
        joined_at: new Date(at(1)),
        since: new Date(at(3)),
      });
      expect(await membership(ids.recipientId, second)).toMatchObject({
        status: 'pending',
        since: new Date(at(2)),
      });
      expect(await row(ids.recipientId)).toMatchObject({
        unsubscribed_all: false,
        updated_at: new Date(at(3)),
        last_revision: '3',
      });
    });

    it('should keep the first join date when the recipient subscribes to the list again', async () => {
      const { ids, first, stream } = await givenTwoLists();
      await harness.append(stream, [
        aRecipientUnsubscribed({ ...ids, listId: first, unsubscribedAt: at(3) }),
        aRecipientSubscribed({ ...ids, listId: first, subscribedAt: at(4) }),
      ]);
      await harness.runner.catchUp();

      expect(await membership(ids.recipientId, first)).toMatchObject({
        status: 'subscribed',
        joined_at: new Date(at(1)),
        since: new Date(at(4)),
      });
    });

    it('should leave every list, clear open opt-ins and mark the recipient unsubscribed from all', async () => {
      const { ids, first, second, stream } = await givenTwoLists();
      await harness.append(stream, [
        aRecipientUnsubscribed({ ...ids, listId: null, unsubscribedAt: at(3) }),
      ]);
      await harness.runner.catchUp();

      const all = await memberships(ids.recipientId);
      expect(all.map((m) => m.list_id).sort()).toEqual([first, second].sort());
      for (const m of all) {
        expect(m).toMatchObject({
          status: 'unsubscribed',
          opt_in_request_id: null,
          opt_in_expires_at: null,
          since: new Date(at(3)),
        });
      }
      expect(await row(ids.recipientId)).toMatchObject({
        unsubscribed_all: true,
        status: 'active',
        updated_at: new Date(at(3)),
        last_revision: '3',
      });
    });
  });

  describe('When processing is restricted, the restriction lifted, and the recipient objects', () => {
    it('should follow each flag', async () => {
      const ids = newIds();
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientRestricted({ ...ids, restrictedAt: at(1) }),
      ]);
      expect(await row(ids.recipientId)).toMatchObject({
        restricted: true,
        objected: false,
        updated_at: new Date(at(1)),
        last_revision: '1',
      });

      await harness.append(stream, [aRecipientRestrictionLifted({ ...ids, liftedAt: at(2) })]);
      await harness.runner.catchUp();
      expect(await row(ids.recipientId)).toMatchObject({
        restricted: false,
        objected: false,
        updated_at: new Date(at(2)),
        last_revision: '2',
      });

      await harness.append(stream, [aRecipientObjected({ ...ids, objectedAt: at(3) })]);
      await harness.runner.catchUp();
      expect(await row(ids.recipientId)).toMatchObject({
        restricted: false,
        objected: true,
        status: 'active',
        updated_at: new Date(at(3)),
        last_revision: '3',
      });
    });
  });

  describe('When a recipient is erased', () => {
    it('should clear every personal column and the index, and delete the memberships', async () => {
      const ids = newIds();
      const neighbour = newIds(ids.tenantId);
      const listId = anId();
      await given(neighbour, [
        anEncryptedRecipientAdded(neighbour).event,
        aRecipientSubscribed({ ...neighbour, listId }),
      ]);
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientSubscribed({ ...ids, listId, subscribedAt: at(1) }),
        anOptInRequested({ ...ids, requestedAt: at(2), expiresAt: at(60) }),
        aRecipientRestricted({ ...ids, restrictedAt: at(3) }),
      ]);
      expect(await memberships(ids.recipientId)).toHaveLength(2);

      await harness.append(stream, [
        aRecipientErased({ ...ids, erasedAt: at(4), membershipsRemoved: 2 }),
      ]);
      await harness.runner.catchUp();

      expect(await row(ids.recipientId)).toEqual({
        recipient_id: ids.recipientId,
        tenant_id: ids.tenantId,
        email_index: null,
        email: null,
        name: null,
        attributes: null,
        status: 'erased',
        unsubscribed_all: false,
        restricted: true,
        objected: false,
        created_at: new Date(at(0)),
        updated_at: new Date(at(4)),
        erased_at: new Date(at(4)),
        last_revision: '4',
      });
      expect(await memberships(ids.recipientId)).toEqual([]);
      expect(await memberships(neighbour.recipientId)).toEqual([
        expect.objectContaining({ list_id: listId, status: 'subscribed' }),
      ]);
    });

    it('should ignore whatever the stream records after the erasure', async () => {
      const ids = newIds();
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientErased({ ...ids, erasedAt: at(1) }),
      ]);
      const before = await row(ids.recipientId);

      await harness.append(stream, [
        aRecipientSubscribed({ ...ids, subscribedAt: at(2) }),
        withData(aRecipientCorrected({ ...ids, correctedAt: at(3) }), {
          email: ct(cipher(ids.recipientId, 'email-after')),
        }),
        aRecipientObjected({ ...ids, objectedAt: at(4) }),
      ]);
      await harness.runner.catchUp();

      expect(await memberships(ids.recipientId)).toEqual([]);
      expect(await row(ids.recipientId)).toEqual({ ...before, last_revision: '4' });
    });
  });

  describe('When a contact list is deleted', () => {
    it("should delete that list's memberships for every recipient, even one not in the batch, and keep other lists", async () => {
      const tenantId = anId();
      const deleted = anId();
      const kept = anId();
      const [inBatch, notInBatch, onlyOnKept] = [
        newIds(tenantId),
        newIds(tenantId),
        newIds(tenantId),
      ];
      for (const ids of [inBatch, notInBatch]) {
        await harness.append(
          toRecipientStreamId(ids.recipientId),
          [
            anEncryptedRecipientAdded(ids).event,
            aRecipientSubscribed({ ...ids, listId: deleted }),
            anOptInRequested({ ...ids, listId: kept }),
          ],
          tenantId,
        );
      }
      await given(onlyOnKept, [
        anEncryptedRecipientAdded(onlyOnKept).event,
        aRecipientSubscribed({ ...onlyOnKept, listId: kept }),
      ]);
      const untouched = await row(notInBatch.recipientId);

      await harness.append(
        toContactListStreamId(deleted),
        [aContactListDeleted({ listId: deleted, tenantId })],
        tenantId,
      );
      await harness.append(toRecipientStreamId(inBatch.recipientId), [
        aRecipientRestricted({ ...inBatch, restrictedAt: at(5) }),
      ]);
      await harness.runner.catchUp();

      for (const ids of [inBatch, notInBatch]) {
        expect(await memberships(ids.recipientId)).toEqual([
          expect.objectContaining({ list_id: kept, status: 'pending' }),
        ]);
      }
      expect(await memberships(onlyOnKept.recipientId)).toEqual([
        expect.objectContaining({ list_id: kept, status: 'subscribed' }),
      ]);
      expect(await row(notInBatch.recipientId)).toEqual(untouched);
      expect(await row(inBatch.recipientId)).toMatchObject({
        restricted: true,
        last_revision: '3',
      });
    });
  });

  describe('When events are delivered again', () => {
    /** A long history where every event is followed by others, so re-applying one would show. */
    const givenLongHistory = async () => {
      const ids = newIds();
      const [first, second] = [anId(), anId()];
      const requestId = anId();
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        withData(aRecipientCorrected({ ...ids, correctedAt: at(1) }), {
          name: ct(cipher(ids.recipientId, 'name-2')),
        }),
        aRecipientSubscribed({ ...ids, listId: first, subscribedAt: at(2) }),
        anOptInRequested({
          ...ids,
          listId: second,
          requestId,
          requestedAt: at(3),
          expiresAt: at(60),
        }),
        anOptInConfirmed({ ...ids, listId: second, requestId, confirmedAt: at(4) }),
        aRecipientUnsubscribed({ ...ids, listId: first, unsubscribedAt: at(5) }),
        aRecipientRestricted({ ...ids, restrictedAt: at(6) }),
        aRecipientRestrictionLifted({ ...ids, liftedAt: at(7) }),
        aRecipientObjected({ ...ids, objectedAt: at(8) }),
        withData(aRecipientCorrected({ ...ids, correctedAt: at(9) }), {
          name: ct(cipher(ids.recipientId, 'name-3')),
        }),
        aRecipientUnsubscribed({ ...ids, listId: null, unsubscribedAt: at(10) }),
      ]);
      return { ids, stream };
    };

    const kinds: RecipientEventType[] = [
      'RecipientAdded',
      'RecipientCorrected',
      'RecipientSubscribed',
      'OptInRequested',
      'OptInConfirmed',
      'RecipientUnsubscribed',
      'RecipientRestricted',
      'RecipientRestrictionLifted',
      'RecipientObjected',
    ];

    it.each(kinds)('should change nothing when %s comes again', async (kind) => {
      const { ids, stream } = await givenLongHistory();
      const before = await snapshotOfRecipient(ids.recipientId);
      expect(before.row).toMatchObject({ last_revision: '10', unsubscribed_all: true });
      const events = await harness.store.readStream(stream);
      const again = events.filter((e) => e.type === kind);
      expect(again.length).toBeGreaterThan(0);

      for (const event of again) await redeliver([event]);
      await redeliver(again);

      expect(await snapshotOfRecipient(ids.recipientId)).toEqual(before);
    });

    it('should change nothing when the whole stream comes again, in one batch or one by one', async () => {
      const { ids, stream } = await givenLongHistory();
      const before = await snapshotOfRecipient(ids.recipientId);
      const events = await harness.store.readStream(stream);

      await redeliver(events);
      for (const event of events) await redeliver([event]);

      expect(await snapshotOfRecipient(ids.recipientId)).toEqual(before);
    });

    it('should not bring a membership back when RecipientSubscribed comes again after RecipientErased', async () => {
      const ids = newIds();
      const listId = anId();
      const stream = await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientSubscribed({ ...ids, listId, subscribedAt: at(1) }),
        aRecipientErased({ ...ids, erasedAt: at(2), membershipsRemoved: 1 }),
      ]);
      const before = await snapshotOfRecipient(ids.recipientId);
      expect(before.memberships).toEqual([]);
      const events = await harness.store.readStream(stream);

      await redeliver(events.filter((e) => e.type === 'RecipientSubscribed'));
      await redeliver(events.filter((e) => e.type === 'RecipientErased'));
      await redeliver(events);

      expect(await snapshotOfRecipient(ids.recipientId)).toEqual(before);
    });

    it('should change nothing when ContactListDeleted comes again', async () => {
      const ids = newIds();
      const [deleted, kept] = [anId(), anId()];
      await given(ids, [
        anEncryptedRecipientAdded(ids, at(0)).event,
        aRecipientSubscribed({ ...ids, listId: deleted }),
        aRecipientSubscribed({ ...ids, listId: kept }),
      ]);
      await harness.append(toContactListStreamId(deleted), [
        aContactListDeleted({ listId: deleted, tenantId: ids.tenantId }),
      ]);
      await harness.runner.catchUp();
      const before = await snapshotOfRecipient(ids.recipientId);
      expect(before.memberships.map((m) => m.list_id)).toEqual([kept]);

      await redeliver(await harness.store.readStream(toContactListStreamId(deleted)));

      expect(await snapshotOfRecipient(ids.recipientId)).toEqual(before);
    });
  });

  describe('When many recipients arrive in one batch with several events each', () => {
    it('should give the same rows as one event per batch', async () => {
      const tenantId = anId();
      const [first, second, third] = [anId(), anId(), anId()];
      const from = await harness.store.headPosition();
      const people = Array.from({ length: 12 }, () => newIds(tenantId));
      const requests = new Map(people.map((p) => [p.recipientId, anId()]));
      const steps: Array<(ids: Ids, i: number) => RecipientEvent | undefined> = [
        (ids, i) => anEncryptedRecipientAdded(ids, at(i)).event,
        (ids, i) => aRecipientSubscribed({ ...ids, listId: first, subscribedAt: at(20 + i) }),
        (ids, i) =>
          anOptInRequested({
            ...ids,
            listId: second,
            requestId: requests.get(ids.recipientId)!,
            requestedAt: at(40 + i),
            expiresAt: at(600),
          }),
        (ids, i) =>
          i % 3 === 0
            ? anOptInConfirmed({
                ...ids,
                listId: second,
                requestId: requests.get(ids.recipientId)!,
                confirmedAt: at(60 + i),
              })
            : i % 3 === 1
              ? aRecipientUnsubscribed({ ...ids, listId: first, unsubscribedAt: at(60 + i) })
              : withData(aRecipientCorrected({ ...ids, correctedAt: at(60 + i) }), {
                  name: ct(cipher(ids.recipientId, 'name-2')),
                }),
        (ids, i) =>
          i % 4 === 0
            ? aRecipientUnsubscribed({ ...ids, listId: null, unsubscribedAt: at(80 + i) })
            : i % 4 === 1
              ? aRecipientRestricted({ ...ids, restrictedAt: at(80 + i) })
              : i % 4 === 2
                ? aRecipientSubscribed({ ...ids, listId: third, subscribedAt: at(80 + i) })
                : aRecipientSubscribed({ ...ids, listId: first, subscribedAt: at(80 + i) }),
        (ids, i) =>
          i % 5 === 0
            ? aRecipientErased({ ...ids, erasedAt: at(100 + i) })
            : i % 5 === 1
              ? aRecipientObjected({ ...ids, objectedAt: at(100 + i) })
              : undefined,
      ];
      // Interleaved as a busy log is: every recipient's first step, then every second step, ...
      for (const [s, step] of steps.entries()) {
        for (const [i, ids] of people.entries()) {
          const event = step(ids, i);
          if (event) {
            await harness.append(toRecipientStreamId(ids.recipientId), [event], tenantId);
          }
        }
        if (s === 2) {
          await harness.append(toContactListStreamId(first), [
            aContactListDeleted({ listId: first, tenantId, deletedAt: at(50) }),
          ]);
        }
      }
      const events = await harness.store.readAll({
        from,
        filter: recipientsProjection.filter,
        maxCount: 10_000,
      });
      expect(events.length).toBeGreaterThanOrEqual(60);

      const oneBatch = await copyOfTables('one_batch');
      await recipientsProjection.apply(events, sql, oneBatch);
      const oneByOne = await copyOfTables('one_by_one');
      for (const event of events) await recipientsProjection.apply([event], sql, oneByOne);
      const inSevens = await copyOfTables('in_sevens');
      for (let i = 0; i < events.length; i += 7) {
        await recipientsProjection.apply(events.slice(i, i + 7), sql, inSevens);
      }
      await harness.runner.catchUp();

      const expected = await snapshotOfTenant(tenantId, oneByOne);
      expect(expected.recipients).toHaveLength(12);
      expect(expected.recipients.filter((r) => r.status === 'erased')).toHaveLength(3);
      expect(expected.memberships.some((m) => m.list_id === third)).toBe(true);
      expect(await snapshotOfTenant(tenantId, oneBatch)).toEqual(expected);
      expect(await snapshotOfTenant(tenantId, inSevens)).toEqual(expected);
      expect(await snapshotOfTenant(tenantId, LIVE)).toEqual(expected);
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give rows identical to the live tables', async () => {
      const tenantId = anId();
      const listId = anId();
      for (let i = 0; i < 10; i++) {
        const ids = newIds(tenantId);
        await harness.append(
          toRecipientStreamId(ids.recipientId),
          [
            anEncryptedRecipientAdded(ids, at(i)).event,
            aRecipientSubscribed({ ...ids, listId, subscribedAt: at(20 + i) }),
            ...(i % 2 === 0 ? [anOptInRequested({ ...ids, requestedAt: at(40 + i) })] : []),
            ...(i % 3 === 0 ? [aRecipientErased({ ...ids, erasedAt: at(60 + i) })] : []),
          ],
          tenantId,
        );
      }
      await harness.runner.catchUp();
      const snapshot = async () => ({
        recipients: await harness.rows('SELECT * FROM recipients ORDER BY recipient_id'),
        memberships: await harness.rows(
          'SELECT * FROM recipient_memberships ORDER BY recipient_id, list_id',
        ),
      });
      const live = await snapshot();
      expect(live.recipients.length).toBeGreaterThanOrEqual(10);

      const first = await harness.runner.rebuild('recipients');
      expect(first.events).toBeGreaterThanOrEqual(24);
      const afterFirst = await snapshot();
      expect(afterFirst).toEqual(live);
      await harness.runner.rebuild('recipients');
      expect(await snapshot()).toEqual(live);

      const ids = newIds(tenantId);
      await given(ids, [anEncryptedRecipientAdded(ids).event]);
      expect(await row(ids.recipientId)).toMatchObject({ status: 'active', last_revision: '0' });
      const [lag] = await harness.runner.lag();
      expect(lag).toMatchObject({ name: 'recipients', eventsBehind: 0 });
    });
  });
});
