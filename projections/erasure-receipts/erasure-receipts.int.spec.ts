import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type RecipientErased, type RecipientEvent, toRecipientStreamId } from '#domain';
import type { RecordedEvent } from '#event-store';
import { erasureReceiptOf, isErasureReceiptIntact } from '#privacy';
import { type ErasureReceiptRow, type SqlExecutor, erasureReceiptsProjection } from '#projections';
import { ProjectionHarness, aNow, anId, minutesAfter, sqlBackends } from '#testing';

import {
  aConsent,
  aFakeEmailIndex,
  aRecipientAdded,
  aRecipientErased,
  aRecipientSubscribed,
  aRecipientUnsubscribed,
} from '../../libs/testing/src/builders/recipient.builders.js';

type Ids = { recipientId: string; tenantId: string };

/** An ISO time `minutes` after the builders' clock. */
const at = (minutes: number): string => minutesAfter(aNow(), minutes).toISOString();

describe.each(sqlBackends())('Erasure receipts projection on %s', (backend) => {
  let harness: ProjectionHarness;
  let sql: SqlExecutor;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [erasureReceiptsProjection]);
    sql = {
      query: async <R>(q: string, p?: unknown[]) => (await harness.pool.query(q, p)).rows as R[],
    };
  });
  afterAll(async () => harness.stop());

  const newIds = (tenantId = anId()): Ids => ({ recipientId: anId(), tenantId });

  const rowsOf = (tenantId: string) =>
    harness.rows<ErasureReceiptRow>(
      'SELECT * FROM erasure_receipts WHERE tenant_id = $1 ORDER BY recipient_id',
      [tenantId],
    );

  const given = async (ids: Ids, events: readonly RecipientEvent[]): Promise<RecordedEvent[]> => {
    const stream = toRecipientStreamId(ids.recipientId);
    await harness.append(stream, events, ids.tenantId);
    await harness.runner.catchUp();
    return harness.store.readStream(stream);
  };

  /** Delivers stored events again, straight to the live table, as a restarted subscription would. */
  const redeliver = (events: readonly RecordedEvent[]) =>
    erasureReceiptsProjection.apply(events, sql, { erasure_receipts: 'erasure_receipts' });

  /** A recipient with personal data in its history (plaintext here, to show none of it is copied). */
  const historyOf = (ids: Ids, address: string): RecipientEvent[] => [
    aRecipientAdded({
      ...ids,
      email: address,
      emailIndex: aFakeEmailIndex(address),
      name: 'Grace Hopper',
      addedAt: at(0),
    }),
    aRecipientSubscribed({ ...ids, consent: aConsent({ ipAddress: '198.51.100.23' }) }),
  ];

  describe('When recipients are erased', () => {
    it('should keep one intact receipt per erased recipient, without personal data', async () => {
      const tenantId = anId();
      const people = [newIds(tenantId), newIds(tenantId), newIds(tenantId)];
      const erasures: RecipientErased[] = [];
      for (const [i, ids] of people.entries()) {
        const address = `grace.${i}.${ids.recipientId}@example.com`;
        const erased = aRecipientErased({
          ...ids,
          emailIndex: aFakeEmailIndex(address),
          erasedAt: at(10 + i),
          reference: `TICKET-${i}`,
          historyEvents: 3,
          membershipsRemoved: 1,
        });
        const kept = i === 2; // the last one stays: no receipt for it
        await harness.append(
          toRecipientStreamId(ids.recipientId),
          kept
            ? [...historyOf(ids, address), aRecipientUnsubscribed({ ...ids, listId: null })]
            : [...historyOf(ids, address), erased],
          tenantId,
        );
        if (!kept) erasures.push(erased);
      }
      await harness.runner.catchUp();

      const rows = await rowsOf(tenantId);
      expect(rows).toHaveLength(2);
      for (const erased of erasures) {
        const row = rows.find((r) => r.recipient_id === erased.data.recipientId);
        const receipt = erasureReceiptOf(erased.data);
        expect(row).toEqual({
          recipient_id: erased.data.recipientId,
          tenant_id: tenantId,
          request_id: erased.data.requestId,
          erased_at: new Date(erased.data.erasedAt),
          receipt,
          receipt_hash: receipt.receiptHash,
          last_revision: '2',
        });
        expect(isErasureReceiptIntact(row!.receipt)).toBe(true);
        expect(row!.receipt_hash).toBe(row!.receipt.receiptHash);
        expect(isErasureReceiptIntact({ ...row!.receipt, basis: 'retention' })).toBe(false);

        const stored = JSON.stringify(row);
        for (const personal of ['@example.com', 'Grace Hopper', '198.51.100.23']) {
          expect(stored).not.toContain(personal);
        }
        expect(stored).not.toContain(erased.data.emailIndex);
      }
    });
  });

  describe('When RecipientErased comes again', () => {
    it('should keep the first receipt', async () => {
      const ids = newIds();
      const events = await given(ids, [
        aRecipientErased({ ...ids, erasedAt: at(10), reference: 'TICKET-1' }),
      ]);
      const [before] = await rowsOf(ids.tenantId);
      expect(before).toMatchObject({ last_revision: '0' });
      expect(before!.receipt.reference).toBe('TICKET-1');

      await redeliver(events);
      await redeliver([...events, ...events]);
      expect(await rowsOf(ids.tenantId)).toEqual([before]);

      // A second erasure recorded later (a retried request) still leaves the first receipt.
      await given(ids, [aRecipientErased({ ...ids, erasedAt: at(20), reference: 'TICKET-2' })]);
      expect(await rowsOf(ids.tenantId)).toEqual([before]);
      expect(isErasureReceiptIntact(before!.receipt)).toBe(true);
    });
  });
});
