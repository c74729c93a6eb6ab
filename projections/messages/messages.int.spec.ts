import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type MessageEvent, toMessageStreamId } from '#domain';
import { type CampaignDeliveryRow, type MessageRow, messagesProjection } from '#projections';
import { ProjectionHarness, aMessageClaimed, aMessageQueued, anId, sqlBackends } from '#testing';

describe.each(sqlBackends())('Messages projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [messagesProjection]);
  });
  afterAll(async () => harness.stop());

  const message = async (messageId: string): Promise<MessageRow | undefined> =>
    (
      await harness.rows<MessageRow>('SELECT * FROM messages WHERE message_id = $1', [messageId])
    )[0];
  const counts = async (campaignId: string) =>
    (
      await harness.rows<CampaignDeliveryRow>(
        'SELECT * FROM campaign_delivery WHERE campaign_id = $1',
        [campaignId],
      )
    )[0];

  const ids = (campaignId: string, tenantId: string) => ({
    messageId: anId(),
    campaignId,
    tenantId,
  });

  describe('When messages are queued, claimed, sent, deferred and cancelled', () => {
    it('should keep one row per message and the campaign counts by status', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const [a, b, c] = [
        ids(campaignId, tenantId),
        ids(campaignId, tenantId),
        ids(campaignId, tenantId),
      ];
      for (const m of [a, b, c]) {
        await harness.append(toMessageStreamId(m.messageId), [aMessageQueued(m)]);
      }
      await harness.runner.catchUp();
      expect(await counts(campaignId)).toMatchObject({ queued: 3, sending: 0, sent: 0 });
      expect(await message(a.messageId)).toMatchObject({
        status: 'queued',
        attempts: 0,
        campaign_id: campaignId,
        tenant_id: tenantId,
        last_revision: '0',
      });

      const at = '2025-01-01T10:05:00.000Z';
      await harness.append(toMessageStreamId(a.messageId), [
        aMessageClaimed(a),
        { type: 'MessageSent', data: { ...a, smtpReply: '250 2.0.0 OK', sentAt: at } },
      ] satisfies MessageEvent[]);
      await harness.append(toMessageStreamId(b.messageId), [
        aMessageClaimed(b),
        {
          type: 'MessageDeferred',
          data: {
            ...b,
            smtpReply: '451 4.7.1 Later',
            attempt: 1,
            nextAttemptAt: '2025-01-01T10:35:00.000Z',
            deferredAt: at,
          },
        },
      ] satisfies MessageEvent[]);
      await harness.append(toMessageStreamId(c.messageId), [
        { type: 'MessageCancelled', data: { ...c, reason: 'campaign_cancelled', at } },
      ] satisfies MessageEvent[]);
      await harness.runner.catchUp();

      expect(await message(a.messageId)).toMatchObject({
        status: 'sent',
        attempts: 1,
        last_reply: '250 2.0.0 OK',
        last_revision: '2',
      });
      const deferred = await message(b.messageId);
      expect(deferred).toMatchObject({ status: 'deferred', last_reply: '451 4.7.1 Later' });
      expect((deferred!.next_attempt_at as Date).toISOString()).toBe('2025-01-01T10:35:00.000Z');
      expect(await message(c.messageId)).toMatchObject({ status: 'cancelled' });
      expect(await counts(campaignId)).toMatchObject({
        queued: 0,
        sending: 0,
        sent: 1,
        deferred: 1,
        cancelled: 1,
        bounced: 0,
        failed: 0,
      });
    });
  });

  describe('When an event is redelivered', () => {
    it('should leave the rows and the counts as they were', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const m = ids(campaignId, tenantId);
      const stream = toMessageStreamId(m.messageId);
      await harness.append(stream, [aMessageQueued(m), aMessageClaimed(m)]);
      await harness.runner.catchUp();
      const before = { row: await message(m.messageId), counts: await counts(campaignId) };
      const events = await harness.store.readStream(stream);
      const client = await harness.pool.connect();
      try {
        await client.query('BEGIN');
        const sql = {
          query: async <R>(q: string, p?: unknown[]) => (await client.query(q, p)).rows as R[],
        };
        const tables = { messages: 'messages', campaign_delivery: 'campaign_delivery' };
        await messagesProjection.apply(events, sql, tables);
        await messagesProjection.apply(events.slice(0, 1), sql, tables);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      expect(await message(m.messageId)).toEqual(before.row);
      expect(await counts(campaignId)).toEqual(before.counts);
      expect(before.counts).toMatchObject({ queued: 0, sending: 1 });
    });
  });

  describe('When a whole campaign arrives in one batch', () => {
    it('should count each message once, in its last status', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const messages = Array.from({ length: 50 }, () => ids(campaignId, tenantId));
      await harness.store.appendMany(
        messages.map((m) => ({
          streamId: toMessageStreamId(m.messageId),
          events: [aMessageQueued(m), aMessageClaimed(m)].map((e) => ({
            eventId: anId(),
            type: e.type,
            data: e.data,
          })),
          expectedRevision: 'no_stream' as const,
        })),
      );
      await harness.runner.catchUp();
      expect(await counts(campaignId)).toMatchObject({ queued: 0, sending: 50 });
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give the same rows and counts', async () => {
      const snapshot = async () => ({
        messages: await harness.rows('SELECT * FROM messages ORDER BY message_id'),
        counts: await harness.rows('SELECT * FROM campaign_delivery ORDER BY campaign_id'),
      });
      await harness.runner.catchUp();
      const before = await snapshot();
      await harness.runner.rebuild('messages');
      expect(await snapshot()).toEqual(before);
    });
  });
});
