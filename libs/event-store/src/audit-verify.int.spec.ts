import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import {
  type BrokenLink,
  type EventToAppend,
  type Position,
  PostgresEventStore,
  type VerifyChainOptions,
  chainHash,
  createPool,
  eventContentDigest,
} from '#event-store';
import { createTestDatabase, reportSkipped, sqlBackends } from '#testing';

/**
 * Tamper tests for `audit verify` (DESIGN §3): rows of the event table are edited, deleted,
 * reordered and forged behind the store's back, as someone with database access could; the
 * verification must catch every one and name the first broken link. PGlite always, PostgreSQL
 * when DATABASE_URL is set.
 */
if (!process.env.DATABASE_URL)
  reportSkipped('audit verify tamper tests on PostgreSQL', 'DATABASE_URL not set');

describe.each(sqlBackends())('Audit verify on %s', (kind) => {
  let pool: pg.Pool;
  let store: PostgresEventStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase(kind);
    drop = () => database.drop();
    pool = createPool(database.connectionString, 6);
    store = await PostgresEventStore.open(pool, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await drop();
  });

  // Fresh ids and an empty log per test: each test tampers with its own history.
  let tenantA: string;
  let tenantB: string;
  let a1: string;
  let a2: string;
  let b1: string;
  beforeEach(async () => {
    await pool.query('TRUNCATE mp_events, mp_streams, mp_log_seals RESTART IDENTITY');
    tenantA = randomUUID();
    tenantB = randomUUID();
    a1 = `auditrecipient-${randomUUID()}`;
    a2 = `auditrecipient-${randomUUID()}`;
    b1 = `auditlist-${randomUUID()}`;
    // Given two tenants' streams, appended interleaved
    await store.append(a1, events(tenantA, 2));
    await store.append(b1, events(tenantB, 2));
    await store.append(a2, events(tenantA, 3));
    await store.append(a1, events(tenantA, 2));
    await store.append(b1, events(tenantB, 1));
  });

  const events = (tenantId: string, n: number): EventToAppend[] =>
    Array.from({ length: n }, (_, i) => ({
      eventId: randomUUID(),
      type: 'AuditThingHappened',
      data: { n: i, note: { $pii: 1, s: randomUUID(), c: 'Y2lwaGVydGV4dA' } },
      metadata: { tenantId, actor: 'test', correlationId: randomUUID() },
    }));

  const row = async (streamId: string, revision: number) =>
    (
      await pool.query<{
        event_id: string;
        transaction_id: string;
        global_position: string;
        hash: Buffer;
      }>(
        `SELECT event_id::text, transaction_id::text, global_position::text, hash
           FROM mp_events WHERE stream_id = $1 AND stream_revision = $2`,
        [streamId, revision],
      )
    ).rows[0]!;

  const positionOf = async (streamId: string, revision: number): Promise<Position> => {
    const r = await row(streamId, revision);
    return { commit: BigInt(r.transaction_id), prepare: BigInt(r.global_position) };
  };

  /**
   * Verification walks settled transactions only (like every reader of the log); on a shared
   * PostgreSQL another database's open transaction holds that back for a moment.
   */
  const verify = async (options: VerifyChainOptions = {}) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await pool.query<{ settled: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM mp_events
          WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())) AS settled`,
      );
      if (rows[0]!.settled) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return store.verifyChain(options);
  };

  const sealed = async () => {
    const result = await verify({ seal: true });
    expect(result).toMatchObject({ ok: true, checked: 10, streams: 3, complete: true });
    expect(result.seals?.written).toMatchObject({ events: 10 });
  };

  const expectBroken = async (expected: Partial<BrokenLink>, options = {}) => {
    const result = await verify(options);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject(expected);
    return result.firstBroken!;
  };

  /** Deletes two rows and stores them again with their log positions swapped. */
  const swapPositions = async (x: { streamId: string; revision: number }, y: typeof x) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Record<string, unknown>>(
        `DELETE FROM mp_events WHERE (stream_id, stream_revision) IN (($1, $2), ($3, $4)) RETURNING *`,
        [x.streamId, x.revision, y.streamId, y.revision],
      );
      const [p, q] = rows as [Record<string, unknown>, Record<string, unknown>];
      for (const [r, at] of [
        [p, q],
        [q, p],
      ] as const) {
        await client.query(
          `INSERT INTO mp_events (global_position, transaction_id, stream_id, category, stream_revision,
             event_id, event_type, data, metadata, previous_hash, hash) OVERRIDING SYSTEM VALUE
           VALUES ($1, $2::text::xid8, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            at.global_position,
            String(at.transaction_id),
            r.stream_id,
            r.category,
            r.stream_revision,
            r.event_id,
            r.event_type,
            JSON.stringify(r.data),
            JSON.stringify(r.metadata),
            r.previous_hash,
            r.hash,
          ],
        );
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };

  /** A forged row whose hash is right for its own content and links to `previous`. */
  const forge = async (
    streamId: string,
    revision: number,
    previous: Buffer,
    tenantId: string,
    at?: { transaction_id: string; global_position: string },
  ) => {
    const eventId = randomUUID();
    const dataText = JSON.stringify({ forged: true });
    const metadataText = JSON.stringify({
      schemaVersion: 1,
      tenantId,
      timestamp: new Date().toISOString(),
    });
    const digest = eventContentDigest({
      eventId,
      streamId,
      type: 'Forged',
      dataText,
      metadataText,
    });
    await pool.query(
      `INSERT INTO mp_events (stream_id, category, stream_revision, event_id, event_type, data, metadata,
         previous_hash, hash, transaction_id, global_position) OVERRIDING SYSTEM VALUE
       VALUES ($1, split_part($1, '-', 1), $2, $3, 'Forged', $4::json, $5::json, $6, $7,
               coalesce($8::text::xid8, pg_current_xact_id()),
               coalesce($9::bigint, nextval(pg_get_serial_sequence('mp_events', 'global_position'))))`,
      [
        streamId,
        revision,
        eventId,
        dataText,
        metadataText,
        previous,
        chainHash(previous, BigInt(revision), digest),
        at?.transaction_id ?? null,
        at?.global_position ?? null,
      ],
    );
  };

  describe('When the log is untouched', () => {
    it('should accept it whole, per tenant, per stream and over a time range', async () => {
      await sealed();
      expect(await verify()).toMatchObject({ ok: true, checked: 10, complete: true });
      expect(await verify({ tenantId: tenantA })).toMatchObject({
        ok: true,
        checked: 7,
        streams: 2,
        seals: { checked: 1 },
      });
      expect(await verify({ streamId: a1 })).toMatchObject({ ok: true, checked: 4 });
      const hourAgo = new Date(Date.now() - 3_600_000);
      expect(await verify({ since: hourAgo, until: new Date(Date.now() + 60_000) })).toMatchObject({
        ok: true,
        checked: 10,
      });
      expect(await verify({ from: await positionOf(a2, 0) })).toMatchObject({
        ok: true,
        checked: 5,
      });
      expect(await verify({ maxEvents: 4 })).toMatchObject({
        ok: true,
        checked: 4,
        complete: false,
      });
    });

    it('should seal only what is new, and chain the seals', async () => {
      await sealed();
      expect((await verify({ seal: true })).seals?.written).toBeUndefined();
      await store.append(a2, events(tenantA, 1));
      const second = await verify({ seal: true });
      expect(second.seals).toMatchObject({ checked: 1, written: { sealId: 2, events: 11 } });
      expect(await verify()).toMatchObject({ ok: true, seals: { checked: 2 } });
    });

    it('should report progress', async () => {
      const seen: number[] = [];
      await verify({ onProgress: (p) => seen.push(p.checked) });
      expect(seen[seen.length - 1]).toBe(10);
    });
  });

  describe('When a row is edited', () => {
    it('should catch edited data', async () => {
      const at = await positionOf(a2, 1);
      await pool.query(
        `UPDATE mp_events SET data = '{"n":1,"note":"tampered"}' WHERE stream_id = $1 AND stream_revision = 1`,
        [a2],
      );
      await expectBroken({ streamId: a2, revision: 1n, position: at, code: 'HASH_MISMATCH' });
      // And the tenant's own verification catches it; the other tenant's part stays intact
      await expectBroken({ streamId: a2, revision: 1n }, { tenantId: tenantA });
      expect((await verify({ tenantId: tenantB })).ok).toBe(true);
    });

    it('should catch edited metadata', async () => {
      await pool.query(
        `UPDATE mp_events SET metadata = jsonb_set(metadata::jsonb, '{actor}', '"someone-else"')::json
          WHERE stream_id = $1 AND stream_revision = 0`,
        [b1],
      );
      await expectBroken({ streamId: b1, revision: 0n, code: 'HASH_MISMATCH' });
    });

    it('should catch an edited type', async () => {
      await pool.query(
        `UPDATE mp_events SET event_type = 'SomethingElse' WHERE stream_id = $1 AND stream_revision = 3`,
        [a1],
      );
      await expectBroken({ streamId: a1, revision: 3n, code: 'HASH_MISMATCH' });
      await expectBroken({ streamId: a1, revision: 3n }, { streamId: a1 });
    });

    it('should catch an edited category, which hides the event from filtered subscribers', async () => {
      await pool.query(
        `UPDATE mp_events SET category = 'other' WHERE stream_id = $1 AND stream_revision = 2`,
        [a2],
      );
      await expectBroken({ streamId: a2, revision: 2n, code: 'CATEGORY_MISMATCH' });
      await expectBroken({ streamId: a2, revision: 2n }, { streamId: a2 });
    });

    it('should catch a recomputed hash that no longer links', async () => {
      await pool.query(
        `UPDATE mp_events SET hash = sha256(hash) WHERE stream_id = $1 AND stream_revision = 0`,
        [a2],
      );
      await expectBroken({ streamId: a2, revision: 0n, code: 'HASH_MISMATCH' });
    });
  });

  describe('When a row is deleted', () => {
    it('should catch a deleted event in the middle of a stream', async () => {
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1 AND stream_revision = 1`, [a1]);
      await expectBroken({ streamId: a1, revision: 2n, code: 'REVISION_GAP' });
    });

    it('should catch a deleted first event', async () => {
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1 AND stream_revision = 0`, [b1]);
      await expectBroken({ streamId: b1, revision: 1n, code: 'REVISION_GAP' });
    });

    it('should catch the deleted last event of a stream', async () => {
      const before = await positionOf(a1, 2);
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1 AND stream_revision = 3`, [a1]);
      await expectBroken({ streamId: a1, revision: 3n, position: before, code: 'EVENTS_MISSING' });
      await expectBroken({ streamId: a1, revision: 3n }, { streamId: a1 });
      await expectBroken({ streamId: a1, revision: 3n }, { tenantId: tenantA });
    });

    it('should catch a whole deleted stream whose head is left', async () => {
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1`, [b1]);
      await expectBroken({ streamId: b1, revision: 0n, code: 'EVENTS_MISSING' });
    });

    it('should catch a whole deleted stream with its head through the seal', async () => {
      await sealed();
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1`, [b1]);
      await pool.query(`DELETE FROM mp_streams WHERE stream_id = $1`, [b1]);
      await expectBroken({ code: 'SEAL_MISMATCH' });
      // And the tenant whose stream it was sees it in its own part of the log
      await expectBroken({ code: 'SEAL_MISMATCH' }, { tenantId: tenantB });
      expect((await verify({ tenantId: tenantA })).ok).toBe(true);
    });

    it('should catch a deleted or altered seal', async () => {
      await sealed();
      await store.append(a2, events(tenantA, 1));
      await verify({ seal: true });
      await pool.query(`UPDATE mp_log_seals SET events = events - 1 WHERE seal_id = 2`);
      await expectBroken({ code: 'SEAL_MISMATCH' });
      await pool.query(`UPDATE mp_log_seals SET events = events + 1 WHERE seal_id = 2`);
      expect((await verify()).ok).toBe(true);
      await pool.query(`DELETE FROM mp_log_seals WHERE seal_id = 1`);
      await expectBroken({ code: 'SEAL_MISMATCH' });
    });

    it('should catch the newest seal removed with an anchor kept outside the database', async () => {
      await sealed();
      await store.append(a2, events(tenantA, 1));
      const newest = (await verify({ seal: true })).seals!.written!;
      expect((await verify({ anchor: newest.hash })).ok).toBe(true);
      // Seals removed from the end leave a chain that still verifies; the anchor does not
      await pool.query(`DELETE FROM mp_log_seals WHERE seal_id = $1`, [newest.sealId]);
      expect((await verify()).ok).toBe(true);
      await expectBroken({ code: 'SEAL_MISMATCH' }, { anchor: newest.hash });
    });
  });

  describe('When rows are reordered', () => {
    it('should catch two revisions of a stream swapped', async () => {
      await pool.query(
        `UPDATE mp_events SET stream_revision = -1 WHERE stream_id = $1 AND stream_revision = 1`,
        [a1],
      );
      await pool.query(
        `UPDATE mp_events SET stream_revision = 1 WHERE stream_id = $1 AND stream_revision = 2`,
        [a1],
      );
      await pool.query(
        `UPDATE mp_events SET stream_revision = 2 WHERE stream_id = $1 AND stream_revision = -1`,
        [a1],
      );
      await expectBroken({ streamId: a1, revision: 2n, code: 'REVISION_GAP' });
    });

    it('should catch two events of a stream with their log positions swapped', async () => {
      await swapPositions({ streamId: a1, revision: 1 }, { streamId: a1, revision: 2 });
      await expectBroken({ streamId: a1, revision: 2n, code: 'REVISION_GAP' });
      await expectBroken({ streamId: a1, revision: 2n, code: 'OUT_OF_ORDER' }, { streamId: a1 });
    });

    it('should catch events of different streams swapped in the log through the seal', async () => {
      await sealed();
      // a1's last event and b1's last: each stream keeps its own order
      await swapPositions({ streamId: a1, revision: 3 }, { streamId: b1, revision: 2 });
      expect((await verify({ streamId: a1 })).ok).toBe(true);
      await expectBroken({ code: 'SEAL_MISMATCH' });
    });
  });

  describe('When a row is forged', () => {
    it('should catch an event appended behind the store with a correct hash', async () => {
      await forge(a2, 3, (await row(a2, 2)).hash, tenantA);
      await expectBroken({ streamId: a2, revision: 3n, code: 'EVENTS_AFTER_HEAD' });
      await expectBroken({ streamId: a2, revision: 3n }, { streamId: a2 });
      await expectBroken({ streamId: a2, revision: 3n }, { tenantId: tenantA });
    });

    it('should catch a forged stream with a correct hash', async () => {
      const forged = `auditrecipient-${randomUUID()}`;
      await forge(forged, 0, Buffer.alloc(32), tenantA);
      await expectBroken({ streamId: forged, revision: 0n, code: 'NO_HEAD' });
    });

    it('should catch a forged event put in the place of a deleted one', async () => {
      const previous = (await row(a1, 0)).hash;
      const replaced = await row(a1, 1);
      await pool.query(`DELETE FROM mp_events WHERE stream_id = $1 AND stream_revision = 1`, [a1]);
      await forge(a1, 1, previous, tenantA, replaced);
      // Its own hash is right and it links; the next event no longer links to it
      await expectBroken({ streamId: a1, revision: 2n, code: 'LINK_MISMATCH' });
    });
  });
});
