import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';

import { type MessageEvent, tenantDecider, toMessageStreamId, toTenantStreamId } from '#domain';
import type { TenantRow } from '#projections';
import {
  type TestDatabase,
  aMessageBounced,
  aMessageClaimed,
  aMessageQueued,
  aMessageSent,
  anId,
  createTestDatabase,
  sqlBackends,
} from '#testing';

import { loadConfig } from '../config/app.config.js';
import { MailpackrRuntime } from '../runtime/mailpackr-runtime.js';

const HOUR_MS = 3_600_000;
const MIN_MESSAGES = 20;

/** The fixed clock: the 24-hour window ending now starts at 2025-01-01T13:00Z. */
const now = new Date('2025-01-02T12:30:00.000Z');
const hoursBefore = (hours: number, from = now): Date => new Date(from.getTime() - hours * HOUR_MS);
const hourOf = (date: Date): string => {
  const hour = new Date(date);
  hour.setUTCMinutes(0, 0, 0);
  return hour.toISOString();
};

describe.each(sqlBackends())('Sending health on %s', (backend) => {
  let database: TestDatabase;
  let dataDir: string;
  let runtime: MailpackrRuntime;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    // A server whose time zone is not a whole number of hours from UTC (PostgreSQL; PGlite keeps
    // UTC): the hourly figures are UTC hours all the same, and so is the hour after a resume.
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    const [{ name }] = (await client.query<{ name: string }>('SELECT current_database() AS name'))
      .rows as [{ name: string }];
    await client.query(`ALTER DATABASE "${name}" SET timezone TO 'Asia/Kolkata'`);
    await client.end();
    dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-health-'));
    runtime = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL: database.connectionString,
          MAILPACKR_KEK: randomBytes(32).toString('base64'),
          MAILPACKR_DATA_DIR: dataDir,
          NODE_ENV: 'test',
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
          MAILPACKR_PAUSE_MIN_MESSAGES: String(MIN_MESSAGES),
        },
      ),
    );
    await runtime.projections.start();
  });
  afterAll(async () => {
    await runtime.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Waits until the read models have applied everything written so far (not `catchUp`: on a
   * shared PostgreSQL server, another database's open transaction can hide the newest commits).
   */
  const settled = async (names: readonly string[]) => {
    const position = await runtime.store.lastCommittedPosition();
    if (position && !(await runtime.projections.waitFor(position, names, 10_000))) {
      throw new Error(`read models ${names.join(', ')} did not catch up within 10 s`);
    }
  };

  // ── Given ──

  const aTenant = async (): Promise<string> => {
    const { tenantId } = await runtime.tenants.createTenant({
      name: 'Acme',
      actor: 'test:operator',
      now: hoursBefore(48),
    });
    await settled(['tenants']);
    return tenantId;
  };

  /** One hour's figures, as the messages projection keeps them. */
  const figures = (
    tenantId: string,
    at: Date,
    counts: { attempted: number; bounced?: number; complained?: number },
  ) =>
    runtime.pool.query(
      `INSERT INTO tenant_delivery_hourly (tenant_id, hour, attempted, bounced, complained)
       VALUES ($1, $2, $3, $4, $5)`,
      [tenantId, hourOf(at), counts.attempted, counts.bounced ?? 0, counts.complained ?? 0],
    );

  const resume = async (tenantId: string, at: Date) => {
    await runtime.commands.handle(
      toTenantStreamId(tenantId),
      tenantDecider,
      { type: 'ResumeTenantSending', data: { tenantId }, metadata: { now: at } },
      { tenantId, actor: 'test:owner' },
    );
    await settled(['tenants']);
  };

  // ── Then ──

  const pauses = async (tenantId: string) =>
    (await runtime.store.readStream(toTenantStreamId(tenantId)))
      .filter((e) => e.type === 'TenantSendingPaused')
      .map((e) => e.data);

  const tenantRow = async (tenantId: string) => {
    await settled(['tenants']);
    return (
      await runtime.pool.query<TenantRow>('SELECT * FROM tenants WHERE tenant_id = $1', [tenantId])
    ).rows[0]!;
  };

  describe('When a tenant has figures in and before its window', () => {
    it('should measure the rates over the window only, and pause nothing', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, now, { attempted: 30, bounced: 3, complained: 0 });
      await figures(tenantId, hoursBefore(23), { attempted: 10, bounced: 1, complained: 1 });
      await figures(tenantId, hoursBefore(24), { attempted: 500, bounced: 400 }); // too old

      expect(await runtime.sendingHealth.measure([tenantId, tenantId], now)).toEqual([
        {
          tenantId,
          messages: 40,
          bounced: 4,
          complained: 1,
          bounceRate: 0.1,
          complaintRate: 0.025,
          paused: 'complaint_rate',
        },
      ]);
      expect(await pauses(tenantId)).toEqual([]);
    });

    it('should give rates of 0 for a tenant with no figures', async () => {
      const tenantId = await aTenant();
      expect(await runtime.sendingHealth.measure([tenantId], now)).toEqual([
        {
          tenantId,
          messages: 0,
          bounced: 0,
          complained: 0,
          bounceRate: 0,
          complaintRate: 0,
          paused: null,
        },
      ]);
    });
  });

  describe('When its bounce rate passes the limit over enough messages', () => {
    it('should pause its sending with the figures, once', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, now, { attempted: 60, bounced: 9 });
      await figures(tenantId, hoursBefore(5), { attempted: 40, bounced: 6 });

      const [health] = await runtime.sendingHealth.check([tenantId], now);
      expect(health).toMatchObject({ messages: 100, bounced: 15, paused: 'bounce_rate' });

      expect(await pauses(tenantId)).toEqual([
        {
          tenantId,
          reason: 'bounce_rate',
          rate: 0.15,
          threshold: 0.1,
          windowHours: 24,
          messages: 100,
          pausedAt: now.toISOString(),
        },
      ]);
      const row = await tenantRow(tenantId);
      expect((row.sending_paused_at as Date).toISOString()).toBe(now.toISOString());
      expect(row.sending_pause).toEqual({
        reason: 'bounce_rate',
        rate: 0.15,
        threshold: 0.1,
        windowHours: 24,
        messages: 100,
      });

      const [again] = await runtime.sendingHealth.check(
        [tenantId],
        new Date(now.getTime() + 60_000),
      );
      expect(again).toMatchObject({ messages: 100, paused: null });
      expect(await pauses(tenantId)).toHaveLength(1);
    });

    it('should not pause at exactly the limit', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, now, { attempted: 100, bounced: 10 });
      expect(await runtime.sendingHealth.check([tenantId], now)).toMatchObject([
        { bounceRate: 0.1, paused: null },
      ]);
      expect(await pauses(tenantId)).toEqual([]);
    });
  });

  describe('When its window holds fewer messages than the minimum', () => {
    it('should not pause it, whatever the rates', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, now, { attempted: MIN_MESSAGES - 1, bounced: 10, complained: 5 });

      expect(await runtime.sendingHealth.check([tenantId], now)).toMatchObject([
        { messages: MIN_MESSAGES - 1, paused: null },
      ]);
      expect(await pauses(tenantId)).toEqual([]);
      expect((await tenantRow(tenantId)).sending_paused_at).toBeNull();
    });
  });

  describe('When its complaint rate passes 0.5 %', () => {
    it('should pause it for its complaints, even when its bounces pass their limit too', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, now, { attempted: 200, bounced: 40, complained: 2 });

      expect(await runtime.sendingHealth.check([tenantId], now)).toMatchObject([
        { complaintRate: 0.01, bounceRate: 0.2, paused: 'complaint_rate' },
      ]);
      expect(await pauses(tenantId)).toEqual([
        {
          tenantId,
          reason: 'complaint_rate',
          rate: 0.01,
          threshold: 0.005,
          windowHours: 24,
          messages: 200,
          pausedAt: now.toISOString(),
        },
      ]);
      expect((await tenantRow(tenantId)).sending_pause).toMatchObject({ reason: 'complaint_rate' });
    });
  });

  describe('When it is resumed after a pause', () => {
    it('should not pause it again for the figures of the hour before, but for new ones', async () => {
      const tenantId = await aTenant();
      await figures(tenantId, hoursBefore(1), { attempted: 50, bounced: 20 });
      await figures(tenantId, now, { attempted: 50, bounced: 20 });
      await runtime.sendingHealth.check([tenantId], now);
      expect(await pauses(tenantId)).toHaveLength(1);

      const resumedAt = new Date(now.getTime() + 10 * 60_000); // 12:40, same hour as the pause
      await resume(tenantId, resumedAt);
      expect(await tenantRow(tenantId)).toMatchObject({
        sending_paused_at: null,
        sending_pause: { resumedAt: resumedAt.toISOString() },
      });

      const soon = new Date(now.getTime() + 20 * 60_000);
      expect(await runtime.sendingHealth.check([tenantId], soon)).toMatchObject([
        { messages: 0, bounced: 0, paused: null },
      ]);
      expect(await pauses(tenantId)).toHaveLength(1);

      // The next hour counts again.
      const nextHour = new Date(now.getTime() + HOUR_MS);
      await figures(tenantId, nextHour, { attempted: MIN_MESSAGES, bounced: MIN_MESSAGES / 2 });
      expect(await runtime.sendingHealth.check([tenantId], nextHour)).toMatchObject([
        { messages: MIN_MESSAGES, paused: 'bounce_rate' },
      ]);
      expect(await pauses(tenantId)).toHaveLength(2);
    });
  });

  describe('When the figures come from delivery events through the messages projection', () => {
    it('should pause the tenant whose SMTP bounces pass the limit', async () => {
      const tenantId = await aTenant();
      const campaignId = anId();
      const at = hoursBefore(0.25).toISOString();
      const messages = Array.from({ length: MIN_MESSAGES }, (_, i): MessageEvent[] => {
        const m = { messageId: anId(), campaignId, tenantId };
        return [
          aMessageQueued(m),
          aMessageClaimed(m),
          i < 4
            ? aMessageBounced({ ...m, source: 'smtp', at })
            : aMessageSent({ ...m, sentAt: at }),
        ];
      });
      await runtime.store.appendMany(
        messages.map((events) => ({
          streamId: toMessageStreamId(events[0]!.data.messageId),
          events: events.map((e) => ({ eventId: anId(), type: e.type, data: e.data })),
          expectedRevision: 'no_stream' as const,
        })),
      );
      await settled(['messages']);

      expect(await runtime.sendingHealth.check([tenantId], now)).toMatchObject([
        { messages: MIN_MESSAGES, bounced: 4, bounceRate: 0.2, paused: 'bounce_rate' },
      ]);
      expect(await pauses(tenantId)).toMatchObject([{ reason: 'bounce_rate', rate: 0.2 }]);
    });
  });
});
