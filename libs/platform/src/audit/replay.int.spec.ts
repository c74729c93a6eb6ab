import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type MessageEvent, toMessageStreamId } from '#domain';
import { type Position, comparePositions, formatPosition, parsePosition } from '#event-store';
import {
  type TestDatabase,
  aMessageClaimed,
  aMessageQueued,
  aMessageSent,
  anId,
  createTestDatabase,
  minutesAfter,
  sqlBackends,
} from '#testing';

import { loadConfig } from '../config/app.config.js';
import { MailpackrRuntime } from '../runtime/mailpackr-runtime.js';
import { AuditReplay, AuditReplayError, type ReplayReport } from './replay.service.js';

const now = new Date('2025-03-01T09:00:00.000Z');

describe.each(sqlBackends())('Audit replay on %s', (backend) => {
  let database: TestDatabase;
  let dataDir: string;
  let runtime: MailpackrRuntime;
  let audit: AuditReplay;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-replay-'));
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
        },
      ),
    );
    await runtime.projections.start();
    audit = new AuditReplay({
      store: runtime.store,
      pool: runtime.pool,
      runner: runtime.projections,
    });
  });
  afterAll(async () => {
    await runtime.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // ── Given ──

  /** A tenant with recipients (one erased) and a campaign's messages, some sent. */
  const aHistory = async () => {
    const { tenantId } = await runtime.tenants.createTenant({
      name: 'Replay Ltd',
      plan: 'pro',
      actor: 'test:operator',
    });
    const context = { tenantId, actor: 'test:api' };
    const recipients: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { recipientId } = await runtime.audience.addRecipient(context, {
        email: `${anId()}@example.org`,
        name: 'Replay Person',
        source: 'api',
        now: minutesAfter(now, i),
      });
      recipients.push(recipientId);
    }
    const campaignId = anId();
    await runtime.store.appendMany(
      recipients.map((recipientId, i) => {
        const m = { messageId: anId(), campaignId, tenantId };
        const events: MessageEvent[] = [
          aMessageQueued({ ...m, recipientId, queuedAt: minutesAfter(now, 10).toISOString() }),
          aMessageClaimed({ ...m, claimedAt: minutesAfter(now, 11).toISOString() }),
          ...(i % 2 === 0
            ? [aMessageSent({ ...m, sentAt: minutesAfter(now, 12).toISOString() })]
            : []),
        ];
        return {
          streamId: toMessageStreamId(m.messageId),
          events: events.map((e) => ({ eventId: anId(), type: e.type, data: e.data })),
          expectedRevision: 'no_stream' as const,
        };
      }),
    );
    await runtime.audience.erase(context, {
      recipientId: recipients[3]!,
      basis: 'gdpr_art17',
      now: minutesAfter(now, 20),
    });
    return { tenantId, recipients };
  };

  /** Events of a campaign's messages appended straight to the log (no read-your-writes wait). */
  const aHistoryWithoutWaiting = async () => {
    const tenantId = anId();
    const campaignId = anId();
    await runtime.store.appendMany(
      [0, 1, 2].map(() => {
        const m = { messageId: anId(), campaignId, tenantId };
        return {
          streamId: toMessageStreamId(m.messageId),
          events: [aMessageQueued({ ...m, recipientId: anId() })].map((e) => ({
            eventId: anId(),
            type: e.type,
            data: e.data,
          })),
          expectedRevision: 'no_stream' as const,
        };
      }),
    );
  };

  /** Waits until every live read model has applied the log so far; returns that position. */
  const settled = async (): Promise<Position> => {
    const position = (await runtime.store.lastCommittedPosition())!;
    if (!(await runtime.projections.waitFor(position, undefined, 10_000))) {
      throw new Error('the read models did not catch up within 10 s');
    }
    return position;
  };

  const checksums = (report: ReplayReport) =>
    Object.fromEntries(report.tables.map((t) => [t.table, t.replay]));

  const scratchSchemas = async () =>
    (
      await runtime.pool.query<{ name: string }>(
        "SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'mp_audit_%'",
      )
    ).rows;

  // ── When / Then ──

  describe('When the history is replayed twice', () => {
    it('should match the live read models, give identical checksums and leave no scratch schema', async () => {
      await aHistory();

      const first = await audit.run();
      const second = await audit.run();

      expect(first.match).toBe(true);
      expect(first.tables.map((t) => t.table)).toEqual(
        expect.arrayContaining(['recipients', 'messages', 'suppressions', 'erasure_receipts']),
      );
      expect(first.tables.find((t) => t.table === 'messages')!.replay.rows).toBeGreaterThan(0);
      expect(second.match).toBe(true);
      expect(checksums(second)).toEqual(checksums(first));
      expect(await scratchSchemas()).toEqual([]);
    });
  });

  describe('When a live read-model row was changed behind the projections’ back', () => {
    it('should report the table and the row’s key as different, and only that', async () => {
      const { recipients } = await aHistory();
      const clean = await audit.run();
      expect(clean.match).toBe(true);
      const checkpoints = await runtime.pool.query(
        'SELECT name, position FROM mp_projection_checkpoints ORDER BY name',
      );

      await runtime.pool.query(
        `UPDATE recipients SET status = 'unsubscribed' WHERE recipient_id = $1`,
        [recipients[0]],
      );
      try {
        const report = await audit.run({ projections: ['recipients'] });

        expect(report.match).toBe(false);
        const differing = report.tables.filter((t) => !t.match);
        expect(differing.map((t) => t.table)).toEqual(['recipients']);
        expect(differing[0]!.live.rows).toBe(differing[0]!.replay.rows);
        expect(differing[0]!.live.checksum).not.toBe(differing[0]!.replay.checksum);
        expect(differing[0]!.differences).toEqual([
          { key: `recipient_id=${recipients[0]}`, kind: 'changed' },
        ]);
        // The live tables and checkpoints were left as they were.
        expect(
          (
            await runtime.pool.query(
              'SELECT name, position FROM mp_projection_checkpoints ORDER BY name',
            )
          ).rows,
        ).toEqual(checkpoints.rows);
      } finally {
        await runtime.projections.rebuild('recipients');
      }
      expect((await audit.run({ projections: ['recipients'] })).match).toBe(true);
    });

    it('should report a row deleted from the live table as only in the replay', async () => {
      const { recipients } = await aHistory();
      await audit.run({ projections: ['recipients'] }); // settled
      await runtime.pool.query('DELETE FROM recipient_memberships WHERE recipient_id = $1', [
        recipients[1],
      ]);
      await runtime.pool.query('DELETE FROM recipients WHERE recipient_id = $1', [recipients[1]]);
      try {
        const report = await audit.run({ projections: ['recipients'] });
        const table = report.tables.find((t) => t.table === 'recipients')!;
        expect(table.match).toBe(false);
        expect(table.replay.rows - table.live.rows).toBe(1);
        expect(table.differences).toEqual([
          { key: `recipient_id=${recipients[1]}`, kind: 'only-replay' },
        ]);
      } finally {
        await runtime.projections.rebuild('recipients');
      }
    });
  });

  describe('When the live read models are further along the log than the replay started', () => {
    it('should replay on to their checkpoints and compare at the same position', async () => {
      await aHistory();
      const startedAt = await settled();
      await aHistory(); // written while the replay would be running
      const latest = await settled();
      // The replay sees the head of the log as it was before the second history.
      const pinned = new Proxy(runtime.store, {
        get: (target, property, receiver) =>
          property === 'headPosition'
            ? () => Promise.resolve(startedAt)
            : (Reflect.get(target, property, receiver) as unknown),
      });
      const behind = new AuditReplay({
        store: pinned,
        pool: runtime.pool,
        runner: runtime.projections,
      });

      const report = await behind.run();

      expect(report.position).toBe(formatPosition(startedAt));
      expect(report.match).toBe(true);
      const messages = report.projections.find((p) => p.name === 'messages')!;
      expect(comparePositions(parsePosition(messages.comparedAt!), startedAt)).toBeGreaterThan(0);
      expect(comparePositions(parsePosition(messages.comparedAt!), latest)).toBeLessThanOrEqual(0);
    });
  });

  describe('When the live read models do not reach the replay’s position in time', () => {
    it('should fail with LIVE_READ_MODELS_BEHIND and drop the scratch schema', async () => {
      await runtime.projections.stop();
      try {
        await aHistoryWithoutWaiting();
        await expect(audit.run({ waitTimeoutMs: 300 })).rejects.toMatchObject({
          code: 'LIVE_READ_MODELS_BEHIND',
        });
        expect(await scratchSchemas()).toEqual([]);
      } finally {
        await runtime.projections.start();
      }
      await settled();
      expect((await audit.run()).match).toBe(true);
    });
  });

  describe('When asked for a projection that does not exist', () => {
    it('should refuse with UNKNOWN_PROJECTION and create nothing', async () => {
      await expect(audit.run({ projections: ['nope'] })).rejects.toThrow(AuditReplayError);
      expect(await scratchSchemas()).toEqual([]);
    });
  });
});
