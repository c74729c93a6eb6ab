import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  type AddressSuppressed,
  type AddressSuppressionLifted,
  type RecipientEvent,
  toRecipientStreamId,
  toSuppressionStreamId,
} from '#domain';
import type { RecordedEvent } from '#event-store';
import { type SqlExecutor, type SuppressionRow, suppressionsProjection } from '#projections';
import { ProjectionHarness, aNow, anId, minutesAfter, sqlBackends } from '#testing';

import {
  aFakeEmailIndex,
  aRecipientAdded,
  aRecipientErased,
  aRecipientUnsubscribed,
} from '../../libs/testing/src/builders/recipient.builders.js';

type Ids = { recipientId: string; tenantId: string };

/** An ISO time `minutes` after the builders' clock. */
const at = (minutes: number): string => minutesAfter(aNow(), minutes).toISOString();

/** A fresh address's (fake) keyed index: every test owns its suppression rows. */
const aFreshEmailIndex = (): string => aFakeEmailIndex(`${anId()}@example.com`);

describe.each(sqlBackends())('Suppressions projection on %s', (backend) => {
  let harness: ProjectionHarness;
  let sql: SqlExecutor;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [suppressionsProjection]);
    sql = {
      query: async <R>(q: string, p?: unknown[]) => (await harness.pool.query(q, p)).rows as R[],
    };
  });
  afterAll(async () => harness.stop());

  /**
   * `catchUp` until every event committed so far is applied: on a shared PostgreSQL server, an
   * open transaction in another database hides the newest commits from a catch-up for a moment.
   */
  const caughtUp = async (): Promise<void> => {
    const position = await harness.store.lastCommittedPosition();
    for (const deadline = Date.now() + 10_000; ;) {
      await harness.runner.catchUp();
      if (!position || (await harness.runner.waitFor(position, undefined, 0))) return;
      if (Date.now() > deadline) throw new Error('the projections did not catch up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const newIds = (tenantId = anId()): Ids => ({ recipientId: anId(), tenantId });

  const rowsOf = (tenantId: string, table = 'suppressions') =>
    harness.rows<SuppressionRow>(
      `SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY email_index`,
      [tenantId],
    );

  const given = async (ids: Ids, events: readonly RecipientEvent[]): Promise<RecordedEvent[]> => {
    const stream = toRecipientStreamId(ids.recipientId);
    await harness.append(stream, events, ids.tenantId);
    await caughtUp();
    return harness.store.readStream(stream);
  };

  /** Delivers stored events again, straight to the live table, as a restarted subscription would. */
  const redeliver = (events: readonly RecordedEvent[]) =>
    suppressionsProjection.apply(events, sql, { suppressions: 'suppressions' });

  /** An empty copy of the live table, to project the same events another way. */
  const copyOfTable = async (suffix: string): Promise<string> => {
    const table = `suppressions_${suffix}`;
    await harness.rows(`DROP TABLE IF EXISTS ${table}`);
    await harness.rows(`CREATE TABLE ${table} (LIKE suppressions INCLUDING ALL)`);
    return table;
  };

  const applyTo = (table: string, events: readonly RecordedEvent[]) =>
    suppressionsProjection.apply(events, sql, { suppressions: table });

  describe('When a recipient unsubscribes from every list', () => {
    it('should suppress its email index for the tenant, with the recipient', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      await given(ids, [
        aRecipientAdded({ ...ids, emailIndex, addedAt: at(0) }),
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(1) }),
      ]);

      expect(await rowsOf(ids.tenantId)).toEqual([
        {
          tenant_id: ids.tenantId,
          email_index: emailIndex,
          reason: 'unsubscribed',
          reason_rank: 1,
          recipient_id: ids.recipientId,
          suppressed_at: new Date(at(1)),
          updated_at: new Date(at(1)),
        },
      ]);
    });
  });

  describe('When a recipient unsubscribes from one list', () => {
    it('should suppress nothing', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: anId(), emailIndex, unsubscribedAt: at(1) }),
      ]);

      expect(await rowsOf(ids.tenantId)).toEqual([]);
    });
  });

  describe('When a recipient is erased', () => {
    it('should make the reason erased, forget the recipient and keep the earliest date', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(1) }),
      ]);
      await given(ids, [aRecipientErased({ ...ids, emailIndex, erasedAt: at(5) })]);

      expect(await rowsOf(ids.tenantId)).toEqual([
        {
          tenant_id: ids.tenantId,
          email_index: emailIndex,
          reason: 'erased',
          reason_rank: 5,
          recipient_id: null,
          suppressed_at: new Date(at(1)),
          updated_at: new Date(at(5)),
        },
      ]);
    });

    it('should suppress an address that was never unsubscribed, without the recipient', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      await given(ids, [aRecipientErased({ ...ids, emailIndex, erasedAt: at(5) })]);

      expect(await rowsOf(ids.tenantId)).toEqual([
        expect.objectContaining({
          email_index: emailIndex,
          reason: 'erased',
          recipient_id: null,
          suppressed_at: new Date(at(5)),
        }),
      ]);
    });
  });

  describe('When events come again or out of order', () => {
    it('should change nothing when RecipientUnsubscribed comes again', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      const events = await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(1) }),
      ]);
      const before = await rowsOf(ids.tenantId);

      await redeliver(events);
      await redeliver([...events, ...events]);

      expect(await rowsOf(ids.tenantId)).toEqual(before);
    });

    it('should keep erased when RecipientUnsubscribed comes again after the erasure', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      const events = await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(1) }),
        aRecipientErased({ ...ids, emailIndex, erasedAt: at(5) }),
      ]);
      const before = await rowsOf(ids.tenantId);
      expect(before).toEqual([expect.objectContaining({ reason: 'erased', recipient_id: null })]);

      await redeliver(events.filter((e) => e.type === 'RecipientUnsubscribed'));
      await redeliver(events.filter((e) => e.type === 'RecipientErased'));
      await redeliver(events);

      expect(await rowsOf(ids.tenantId)).toEqual(before);
    });

    it('should give the same row whatever the order of the events and the batches', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      const events = await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(1) }),
        aRecipientErased({ ...ids, emailIndex, erasedAt: at(5) }),
      ]);
      const expected = await rowsOf(ids.tenantId);
      const reversed = [...events].reverse();

      const erasedFirst = await copyOfTable('erased_first');
      for (const event of reversed) await applyTo(erasedFirst, [event]);
      const reversedBatch = await copyOfTable('reversed_batch');
      await applyTo(reversedBatch, reversed);

      expect(await rowsOf(ids.tenantId, erasedFirst)).toEqual(expected);
      expect(await rowsOf(ids.tenantId, reversedBatch)).toEqual(expected);
      expect(expected).toEqual([
        expect.objectContaining({
          reason: 'erased',
          recipient_id: null,
          suppressed_at: new Date(at(1)),
          updated_at: new Date(at(5)),
        }),
      ]);
    });
  });

  describe('When two tenants hold the same address', () => {
    it('should keep one row per tenant', async () => {
      const emailIndex = aFreshEmailIndex();
      const [first, second] = [newIds(), newIds()];
      await harness.append(
        toRecipientStreamId(first.recipientId),
        [aRecipientUnsubscribed({ ...first, listId: null, emailIndex, unsubscribedAt: at(1) })],
        first.tenantId,
      );
      await given(second, [aRecipientErased({ ...second, emailIndex, erasedAt: at(2) })]);

      expect(await rowsOf(first.tenantId)).toEqual([
        expect.objectContaining({
          email_index: emailIndex,
          reason: 'unsubscribed',
          recipient_id: first.recipientId,
          suppressed_at: new Date(at(1)),
        }),
      ]);
      expect(await rowsOf(second.tenantId)).toEqual([
        expect.objectContaining({
          email_index: emailIndex,
          reason: 'erased',
          recipient_id: null,
          suppressed_at: new Date(at(2)),
        }),
      ]);
    });
  });

  describe('When the same address comes twice in one batch', () => {
    it('should merge two unsubscriptions into one row with the earliest date', async () => {
      const tenantId = anId();
      const emailIndex = aFreshEmailIndex();
      const [later, earlier] = [newIds(tenantId), newIds(tenantId)];
      await harness.append(
        toRecipientStreamId(later.recipientId),
        [aRecipientUnsubscribed({ ...later, listId: null, emailIndex, unsubscribedAt: at(5) })],
        tenantId,
      );
      await harness.append(
        toRecipientStreamId(earlier.recipientId),
        [aRecipientUnsubscribed({ ...earlier, listId: null, emailIndex, unsubscribedAt: at(2) })],
        tenantId,
      );
      await caughtUp();

      const merged = await rowsOf(tenantId);
      expect(merged).toEqual([
        {
          tenant_id: tenantId,
          email_index: emailIndex,
          reason: 'unsubscribed',
          reason_rank: 1,
          recipient_id: later.recipientId,
          suppressed_at: new Date(at(2)),
          updated_at: new Date(at(5)),
        },
      ]);
      const oneByOne = await copyOfTable('two_unsubscriptions');
      for (const stream of [later, earlier].map((ids) => toRecipientStreamId(ids.recipientId))) {
        await applyTo(oneByOne, await harness.store.readStream(stream));
      }
      expect(await rowsOf(tenantId, oneByOne)).toEqual(merged);
    });

    it('should merge an unsubscription and an erasure into one erased row', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      const events = await given(ids, [
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(3) }),
        aRecipientErased({ ...ids, emailIndex, erasedAt: at(4) }),
      ]);

      const merged = await rowsOf(ids.tenantId);
      expect(merged).toEqual([
        {
          tenant_id: ids.tenantId,
          email_index: emailIndex,
          reason: 'erased',
          reason_rank: 5,
          recipient_id: null,
          suppressed_at: new Date(at(3)),
          updated_at: new Date(at(4)),
        },
      ]);
      const oneByOne = await copyOfTable('unsubscription_and_erasure');
      for (const event of events) await applyTo(oneByOne, [event]);
      expect(await rowsOf(ids.tenantId, oneByOne)).toEqual(merged);
    });
  });

  describe('When an address is suppressed by hand and the suppression is lifted', () => {
    const manual = (tenantId: string, emailIndex: string) => {
      const suppressionId = anId();
      const stream = toSuppressionStreamId(suppressionId);
      const data = { suppressionId, tenantId, emailIndex };
      return {
        stream,
        suppressed: (minute: number): AddressSuppressed => ({
          type: 'AddressSuppressed',
          data: { ...data, reason: 'manual', suppressedAt: at(minute) },
        }),
        lifted: (minute: number): AddressSuppressionLifted => ({
          type: 'AddressSuppressionLifted',
          data: { ...data, reference: 'TICKET-1', liftedAt: at(minute) },
        }),
      };
    };

    it('should add a manual row, and remove it on the lift', async () => {
      const tenantId = anId();
      const emailIndex = aFreshEmailIndex();
      const address = manual(tenantId, emailIndex);
      await harness.append(address.stream, [address.suppressed(1)], tenantId);
      await caughtUp();
      expect(await rowsOf(tenantId)).toMatchObject([{ email_index: emailIndex, reason: 'manual' }]);

      await harness.append(address.stream, [address.lifted(2)], tenantId);
      await caughtUp();
      expect(await rowsOf(tenantId)).toEqual([]);
    });

    it('should keep a stronger reason the person gave (unsubscribed from everything)', async () => {
      const ids = newIds();
      const emailIndex = aFreshEmailIndex();
      const address = manual(ids.tenantId, emailIndex);
      await harness.append(address.stream, [address.suppressed(1)], ids.tenantId);
      await given(ids, [
        aRecipientAdded({ ...ids, emailIndex, addedAt: at(0) }),
        aRecipientUnsubscribed({ ...ids, listId: null, emailIndex, unsubscribedAt: at(2) }),
      ]);
      await harness.append(address.stream, [address.lifted(3)], ids.tenantId);
      await caughtUp();

      expect(await rowsOf(ids.tenantId)).toMatchObject([
        { email_index: emailIndex, reason: 'unsubscribed', recipient_id: ids.recipientId },
      ]);
    });

    it('should add a row with the delivery policy’s reason (hard_bounce)', async () => {
      const tenantId = anId();
      const emailIndex = aFreshEmailIndex();
      const suppressionId = anId();
      await harness.append(
        toSuppressionStreamId(suppressionId),
        [
          {
            type: 'AddressSuppressed',
            data: {
              suppressionId,
              tenantId,
              emailIndex,
              reason: 'hard_bounce',
              messageId: anId(),
              suppressedAt: at(1),
            },
          } satisfies AddressSuppressed,
        ],
        tenantId,
      );
      await caughtUp();
      expect(await rowsOf(tenantId)).toEqual([
        {
          tenant_id: tenantId,
          email_index: emailIndex,
          reason: 'hard_bounce',
          reason_rank: 3,
          recipient_id: null,
          suppressed_at: new Date(at(1)),
          updated_at: new Date(at(1)),
        },
      ]);
    });

    it.each([['hard_bounce'], ['complaint'], ['soft_bounces']] as const)(
      'should keep the %s row when the manual suppression of the address is lifted',
      async (reason) => {
        const tenantId = anId();
        const emailIndex = aFreshEmailIndex();
        const address = manual(tenantId, emailIndex);
        const policyId = anId();
        await harness.append(address.stream, [address.suppressed(1)], tenantId);
        await harness.append(
          toSuppressionStreamId(policyId),
          [
            {
              type: 'AddressSuppressed',
              data: {
                suppressionId: policyId,
                tenantId,
                emailIndex,
                reason,
                messageId: anId(),
                suppressedAt: at(2),
              },
            } satisfies AddressSuppressed,
          ],
          tenantId,
        );
        await harness.append(address.stream, [address.lifted(3)], tenantId);
        await caughtUp();

        expect(await rowsOf(tenantId)).toMatchObject([
          { email_index: emailIndex, reason, suppressed_at: new Date(at(1)) },
        ]);
      },
    );

    it('should lift only the manual row among the tenant’s suppressions', async () => {
      const tenantId = anId();
      const [byHand, bounced] = [aFreshEmailIndex(), aFreshEmailIndex()];
      const address = manual(tenantId, byHand);
      const policyId = anId();
      await harness.append(address.stream, [address.suppressed(1)], tenantId);
      await harness.append(
        toSuppressionStreamId(policyId),
        [
          {
            type: 'AddressSuppressed',
            data: {
              suppressionId: policyId,
              tenantId,
              emailIndex: bounced,
              reason: 'hard_bounce',
              messageId: anId(),
              suppressedAt: at(1),
            },
          } satisfies AddressSuppressed,
        ],
        tenantId,
      );
      await harness.append(address.stream, [address.lifted(2)], tenantId);
      await caughtUp();
      expect(await rowsOf(tenantId)).toMatchObject([
        { email_index: bounced, reason: 'hard_bounce' },
      ]);
    });

    it('should apply suppress, lift and suppress again in order inside one batch', async () => {
      const tenantId = anId();
      const emailIndex = aFreshEmailIndex();
      const address = manual(tenantId, emailIndex);
      await harness.append(
        address.stream,
        [address.suppressed(1), address.lifted(2), address.suppressed(3)],
        tenantId,
      );
      const events = await harness.store.readStream(address.stream);
      const table = await copyOfTable('lift_in_order');
      await applyTo(table, events);
      expect(await rowsOf(tenantId, table)).toMatchObject([
        { email_index: emailIndex, reason: 'manual', suppressed_at: new Date(at(3)) },
      ]);
      await applyTo(table, events.slice(0, 2));
      expect(await rowsOf(tenantId, table)).toEqual([]);
    });
  });
});
