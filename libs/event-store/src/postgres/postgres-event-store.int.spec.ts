import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import { PostgresEventStore, createPool } from '#event-store';
import { type TestDatabase, createTestDatabase, sqlBackends } from '#testing';

/**
 * Reading the log in pages must cost the page, not the log: `mp_read_all` walks the primary key
 * in order and stops at the page size, whatever the planner's statistics (none here: a fresh
 * table, as on PGlite or with autovacuum off). A plan that scans and sorts the whole table per
 * page made a catch-up over a million events quadratic.
 */
describe.each(sqlBackends())('Log reads on %s', (backend) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;
  const rare: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    pool = createPool(database.connectionString, 4);
    store = await PostgresEventStore.open(pool, { listen: false, pollIntervalMs: 50 });
    for (let batch = 0; batch < 30; batch++) {
      await store.appendMany(
        Array.from({ length: 100 }, (_, i) => ({
          streamId: `bulk-${batch}_${i}`,
          events: [{ eventId: randomUUID(), type: 'BulkAdded', data: { n: batch * 100 + i } }],
        })),
      );
      const streamId = `rare-${batch}`;
      await store.append(streamId, [{ eventId: randomUUID(), type: 'RareHappened', data: {} }]);
      rare.push(streamId);
    }
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  /**
   * Rows of `mp_events` that `work` read (sequentially or through an index), counted by the
   * server: the transaction's counters after minus before (PGlite shares one session between
   * connections, so its counters may start above zero).
   */
  const rowsReadBy = async (work: (client: pg.PoolClient) => Promise<unknown>) => {
    const client = await pool.connect();
    const counter = async () => {
      const { rows } = await client.query<{ n: number }>(
        `SELECT (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int AS n
           FROM pg_stat_xact_user_tables WHERE relname = 'mp_events'`,
      );
      return rows[0]?.n ?? 0;
    };
    try {
      await client.query('BEGIN');
      const before = await counter();
      await work(client);
      const after = await counter();
      await client.query('COMMIT');
      return after - before;
    } finally {
      client.release();
    }
  };

  it('should count every row a full read touches (the measure works on this backend)', async () => {
    const read = await rowsReadBy((c) =>
      c.query(`SELECT count(*) FROM mp_events WHERE event_type || '' = 'RareHappened'`),
    );
    expect(read).toBeGreaterThanOrEqual(3030);
  });

  it('should read about a page of rows for a page, not the whole log', async () => {
    for (const filter of [
      `'{bulk}'::text[], NULL`,
      `NULL, '{BulkAdded,RareHappened}'::text[]`,
      `NULL, NULL`,
    ]) {
      const read = await rowsReadBy((c) =>
        c.query(`SELECT count(*) FROM mp_read_all('0', 0, 100, ${filter})`),
      );
      expect({ filter, read: read <= 150 }).toEqual({ filter, read: true });
    }
  });

  // PGlite runs one transaction at a time (the append would wait for the open one): PostgreSQL only.
  (backend === 'postgres' ? it : it.skip)(
    'should tell the last committed position even while an older open transaction hides it from readers',
    async () => {
      const blocker = await pool.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_current_xact_id()'); // an xid older than the next append
        const appended = await store.append(`late-${randomUUID().slice(0, 8)}`, [
          { eventId: randomUUID(), type: 'LateCommitted', data: {} },
        ]);
        expect(await store.lastCommittedPosition()).toEqual(appended.position);
        const visible = await store.headPosition();
        expect(visible && visible.commit < appended.position.commit).toBe(true);
      } finally {
        await blocker.query('COMMIT');
        blocker.release();
      }
      expect(await store.headPosition()).toEqual(await store.lastCommittedPosition());
    },
  );

  it('should page through the filtered log in order, every matching event once', async () => {
    const seen: string[] = [];
    let from;
    for (;;) {
      const page = await store.readAll({ from, filter: { categories: ['rare'] }, maxCount: 7 });
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.streamId));
      from = page[page.length - 1]!.position;
    }
    expect(seen).toEqual(rare);
  });
});
