import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type MessageEvent, toMessageStreamId, toRecipientStreamId } from '#domain';
import type { RecordedEvent } from '#event-store';
import {
  type CampaignDeliveryRow,
  type MessageRow,
  type TenantDeliveryHourlyRow,
  messagesProjection,
} from '#projections';
import {
  ProjectionHarness,
  aMessageBounced,
  aMessageClaimed,
  aMessageComplained,
  aMessageQueued,
  aMessageSent,
  anId,
  sqlBackends,
} from '#testing';

import { aRecipientUnsubscribed } from '../../libs/testing/src/builders/recipient.builders.js';

describe.each(sqlBackends())('Messages projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [messagesProjection]);
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
      await caughtUp();
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
      await caughtUp();

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
      await caughtUp();
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
      await caughtUp();
      expect(await counts(campaignId)).toMatchObject({ queued: 0, sending: 50 });
    });
  });

  // ── Bounces, complaints and unsubscribes ──

  const hourly = async (tenantId: string) =>
    (
      await harness.rows<TenantDeliveryHourlyRow & { hour: Date }>(
        'SELECT * FROM tenant_delivery_hourly WHERE tenant_id = $1 ORDER BY hour',
        [tenantId],
      )
    ).map((row) => ({ ...row, hour: row.hour.toISOString() }));

  /** A message queued, claimed and sent at `sentAt`, its stream and its campaign. */
  const aSentMessage = async (
    over: { campaignId?: string; tenantId?: string; sentAt?: string } = {},
  ) => {
    const m = ids(over.campaignId ?? anId(), over.tenantId ?? anId());
    const recipientId = anId();
    const stream = toMessageStreamId(m.messageId);
    await harness.append(stream, [
      aMessageQueued({ ...m, recipientId }),
      aMessageClaimed(m),
      aMessageSent({ ...m, sentAt: over.sentAt ?? '2025-01-01T10:05:00.000Z' }),
    ]);
    await caughtUp();
    return { ...m, recipientId, stream };
  };

  /** Applies stored events again, straight to the live tables, as a restarted subscription would. */
  const redeliver = async (events: readonly RecordedEvent[]) => {
    const client = await harness.pool.connect();
    try {
      await client.query('BEGIN');
      await messagesProjection.apply(
        events,
        { query: async <R>(q: string, p?: unknown[]) => (await client.query(q, p)).rows as R[] },
        {
          messages: 'messages',
          campaign_delivery: 'campaign_delivery',
          tenant_delivery_hourly: 'tenant_delivery_hourly',
        },
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };

  describe('When a sent message bounces later (a DSN)', () => {
    it('should make it bounced, hard, and move its count from sent to bounced', async () => {
      const m = await aSentMessage();
      expect(await counts(m.campaignId)).toMatchObject({ sent: 1, bounced: 0, bounced_hard: 0 });

      await harness.append(m.stream, [
        aMessageBounced({
          ...m,
          smtpReply: 'smtp; 550 5.1.1 <[address]>: unknown',
          status: '5.1.1',
          kind: 'hard',
          source: 'dsn',
          at: '2025-01-01T11:00:00.000Z',
        }),
      ]);
      await caughtUp();

      expect(await message(m.messageId)).toMatchObject({
        status: 'bounced',
        bounce_kind: 'hard',
        last_reply: 'smtp; 550 5.1.1 <[address]>: unknown',
        last_revision: '3',
      });
      expect(await counts(m.campaignId)).toMatchObject({
        queued: 0,
        sending: 0,
        sent: 0,
        bounced: 1,
        bounced_hard: 1,
        bounced_soft: 0,
        bounced_blocked: 0,
        complained: 0,
        unsubscribed: 0,
      });
    });

    it.each([
      ['soft', 'bounced_soft'],
      ['blocked', 'bounced_blocked'],
    ] as const)('should count a %s bounce as %s', async (kind, column) => {
      const m = await aSentMessage();
      await harness.append(m.stream, [aMessageBounced({ ...m, kind, source: 'webhook' })]);
      await caughtUp();
      expect(await message(m.messageId)).toMatchObject({ status: 'bounced', bounce_kind: kind });
      expect(await counts(m.campaignId)).toMatchObject({ sent: 0, bounced: 1, [column]: 1 });
    });
  });

  describe('When a hard bounce is reported after a soft one', () => {
    it('should move the message from soft to hard, and count one bounce in its hour', async () => {
      const m = await aSentMessage();
      await harness.append(m.stream, [
        aMessageBounced({
          ...m,
          kind: 'soft',
          status: '4.2.2',
          source: 'dsn',
          at: '2025-01-01T11:00:00.000Z',
        }),
        aMessageBounced({
          ...m,
          kind: 'hard',
          status: '5.1.1',
          source: 'dsn',
          at: '2025-01-01T11:30:00.000Z',
        }),
      ]);
      await caughtUp();
      expect(await message(m.messageId)).toMatchObject({ status: 'bounced', bounce_kind: 'hard' });
      expect(await counts(m.campaignId)).toMatchObject({
        sent: 0,
        bounced: 1,
        bounced_hard: 1,
        bounced_soft: 0,
      });
      const hours = await hourly(m.tenantId);
      expect(hours.find((h) => h.hour === '2025-01-01T11:00:00.000Z')).toMatchObject({
        bounced: 1,
      });
    });
  });

  describe('When a bounce was recorded before bounces had kinds', () => {
    it('should read its kind from its status: 5.1.1 is hard', async () => {
      const campaignId = anId();
      const m = ids(campaignId, anId());
      await harness.append(toMessageStreamId(m.messageId), [
        aMessageQueued(m),
        aMessageClaimed(m),
        {
          type: 'MessageBounced',
          data: {
            ...m,
            smtpReply: '550 5.1.1 No such user',
            status: '5.1.1',
            at: '2025-01-01T10:05:00.000Z',
          },
        },
      ] satisfies MessageEvent[]);
      await caughtUp();
      expect(await message(m.messageId)).toMatchObject({ status: 'bounced', bounce_kind: 'hard' });
      expect(await counts(campaignId)).toMatchObject({ sending: 0, bounced: 1, bounced_hard: 1 });
      // An SMTP-time bounce: the server's verdict, and a bounce.
      expect(await hourly(m.tenantId)).toEqual([
        {
          tenant_id: m.tenantId,
          hour: '2025-01-01T10:00:00.000Z',
          attempted: 1,
          bounced: 1,
          complained: 0,
        },
      ]);
    });
  });

  describe('When the recipient complains about a sent message', () => {
    it('should set complained_at and count the complaint, the status unchanged', async () => {
      const m = await aSentMessage();
      await harness.append(m.stream, [
        aMessageComplained({ ...m, at: '2025-01-01T12:30:00.000Z' }),
      ]);
      await caughtUp();

      const row = await message(m.messageId);
      expect(row).toMatchObject({ status: 'sent', last_revision: '3' });
      expect((row!.complained_at as Date).toISOString()).toBe('2025-01-01T12:30:00.000Z');
      expect(await counts(m.campaignId)).toMatchObject({ sent: 1, complained: 1, bounced: 0 });
    });

    it('should count a second complaint event about the same message once', async () => {
      const m = await aSentMessage();
      await harness.append(m.stream, [
        aMessageComplained({ ...m, at: '2025-01-01T12:30:00.000Z' }),
        aMessageComplained({ ...m, source: 'webhook', at: '2025-01-01T12:45:00.000Z' }),
      ]);
      await caughtUp();
      expect(((await message(m.messageId))!.complained_at as Date).toISOString()).toBe(
        '2025-01-01T12:30:00.000Z',
      );
      expect(await counts(m.campaignId)).toMatchObject({ complained: 1 });
      expect(await hourly(m.tenantId)).toEqual([
        expect.objectContaining({ hour: '2025-01-01T10:00:00.000Z', attempted: 1, complained: 0 }),
        expect.objectContaining({ hour: '2025-01-01T12:00:00.000Z', attempted: 0, complained: 1 }),
      ]);
    });
  });

  describe('When the recipient unsubscribes through a message', () => {
    const unsubscribe = (m: { messageId: string; tenantId: string; recipientId: string }) =>
      aRecipientUnsubscribed({
        recipientId: m.recipientId,
        tenantId: m.tenantId,
        listId: null,
        channel: 'mailto',
        messageId: m.messageId,
        unsubscribedAt: '2025-01-01T13:00:00.000Z',
      });

    it('should set unsubscribed_at on the message and count it for the campaign', async () => {
      const m = await aSentMessage();
      await harness.append(toRecipientStreamId(m.recipientId), [unsubscribe(m)], m.tenantId);
      await caughtUp();

      const row = await message(m.messageId);
      expect(row).toMatchObject({ status: 'sent', last_revision: '2' });
      expect((row!.unsubscribed_at as Date).toISOString()).toBe('2025-01-01T13:00:00.000Z');
      expect(await counts(m.campaignId)).toMatchObject({ sent: 1, unsubscribed: 1 });
    });

    it('should not count it twice when redelivered or unsubscribed again', async () => {
      const m = await aSentMessage();
      const stream = toRecipientStreamId(m.recipientId);
      await harness.append(stream, [unsubscribe(m)], m.tenantId);
      await caughtUp();
      const before = { row: await message(m.messageId), counts: await counts(m.campaignId) };

      const events = await harness.store.readStream(stream);
      await redeliver(events);
      await redeliver([...events, ...events]);
      await harness.append(stream, [unsubscribe(m)], m.tenantId);
      await caughtUp();

      expect(await message(m.messageId)).toEqual(before.row);
      expect(await counts(m.campaignId)).toEqual(before.counts);
      expect(before.counts).toMatchObject({ unsubscribed: 1 });
    });

    it('should ignore an unsubscribe that names another recipient’s message', async () => {
      const m = await aSentMessage();
      const stranger = { ...m, recipientId: anId() };
      await harness.append(toRecipientStreamId(stranger.recipientId), [unsubscribe(stranger)]);
      await caughtUp();
      expect(await message(m.messageId)).toMatchObject({ unsubscribed_at: null });
      expect(await counts(m.campaignId)).toMatchObject({ unsubscribed: 0 });
    });
  });

  describe('When verdicts come in, the tenant’s hourly figures', () => {
    it('should count a send as attempted in its hour', async () => {
      const m = await aSentMessage({ sentAt: '2025-01-01T10:59:59.999Z' });
      expect(await hourly(m.tenantId)).toEqual([
        {
          tenant_id: m.tenantId,
          hour: '2025-01-01T10:00:00.000Z',
          attempted: 1,
          bounced: 0,
          complained: 0,
        },
      ]);
    });

    it('should count an SMTP bounce as attempted and bounced, a DSN bounce as bounced only, a complaint as complained', async () => {
      const tenantId = anId();
      const campaignId = anId();
      const smtp = ids(campaignId, tenantId);
      await harness.append(toMessageStreamId(smtp.messageId), [
        aMessageQueued(smtp),
        aMessageClaimed(smtp),
        aMessageBounced({ ...smtp, source: 'smtp', at: '2025-01-01T14:10:00.000Z' }),
      ]);
      const dsn = await aSentMessage({ campaignId, tenantId, sentAt: '2025-01-01T14:20:00.000Z' });
      await harness.append(dsn.stream, [
        aMessageBounced({ ...dsn, source: 'dsn', kind: 'soft', at: '2025-01-01T15:05:00.000Z' }),
      ]);
      const complained = await aSentMessage({
        campaignId,
        tenantId,
        sentAt: '2025-01-01T14:30:00.000Z',
      });
      await harness.append(complained.stream, [
        aMessageComplained({ ...complained, at: '2025-01-01T15:40:00.000Z' }),
      ]);
      await caughtUp();

      expect(await hourly(tenantId)).toEqual([
        // the SMTP bounce and two sends
        {
          tenant_id: tenantId,
          hour: '2025-01-01T14:00:00.000Z',
          attempted: 3,
          bounced: 1,
          complained: 0,
        },
        // the DSN bounce and the complaint: no new verdict
        {
          tenant_id: tenantId,
          hour: '2025-01-01T15:00:00.000Z',
          attempted: 0,
          bounced: 1,
          complained: 1,
        },
      ]);
      expect(await counts(campaignId)).toMatchObject({
        sent: 1,
        bounced: 2,
        bounced_hard: 1,
        bounced_soft: 1,
        complained: 1,
      });
    });

    it('should not count a redelivered verdict again', async () => {
      const m = await aSentMessage({ sentAt: '2025-01-01T16:10:00.000Z' });
      await harness.append(m.stream, [
        aMessageComplained({ ...m, at: '2025-01-01T16:20:00.000Z' }),
        aMessageBounced({ ...m, source: 'dsn', at: '2025-01-01T16:30:00.000Z' }),
      ]);
      await caughtUp();
      const before = { hourly: await hourly(m.tenantId), counts: await counts(m.campaignId) };

      const events = await harness.store.readStream(m.stream);
      await redeliver(events);
      await redeliver(events.slice(2));

      expect(await hourly(m.tenantId)).toEqual(before.hourly);
      expect(await counts(m.campaignId)).toEqual(before.counts);
      expect(before.hourly).toEqual([
        expect.objectContaining({ attempted: 1, bounced: 1, complained: 1 }),
      ]);
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give the same rows and counts', async () => {
      const snapshot = async () => ({
        messages: await harness.rows('SELECT * FROM messages ORDER BY message_id'),
        counts: await harness.rows('SELECT * FROM campaign_delivery ORDER BY campaign_id'),
        hourly: await harness.rows('SELECT * FROM tenant_delivery_hourly ORDER BY tenant_id, hour'),
      });
      await caughtUp();
      const before = await snapshot();
      await harness.runner.rebuild('messages');
      expect(await snapshot()).toEqual(before);
    });
  });
});
