import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import { type EventFilter, PostgresEventStore, type RecordedEvent, createPool } from '#event-store';
import { type TestDatabase, createTestDatabase, sqlBackends } from '#testing';

/** Long enough that only a wake-up, never the poll, can deliver an event within a test. */
const POLL_MS = 60_000;

/** Counts the log reads (`mp_read_all`) a store makes. */
const countReads = (store: PostgresEventStore) => {
  const target = store as unknown as { readAllRows: (...args: unknown[]) => Promise<unknown> };
  const original = target.readAllRows.bind(store);
  const counter = { reads: 0 };
  target.readAllRows = (...args) => {
    counter.reads++;
    return original(...args);
  };
  return counter;
};

/** A live subscription collecting what it receives; `stop` ends it. */
const follow = (store: PostgresEventStore, filter: EventFilter) => {
  const controller = new AbortController();
  const received: RecordedEvent[] = [];
  const done = (async () => {
    for await (const batch of store.subscribeBatches({ filter, signal: controller.signal })) {
      received.push(...batch);
    }
  })();
  return {
    received,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
};

const until = async (condition: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Lets a subscription settle: no new read for 200 ms. */
const settled = async (counter: { reads: number }): Promise<number> => {
  for (;;) {
    const before = counter.reads;
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (counter.reads === before) return before;
  }
};

const event = (type: string) => ({ eventId: randomUUID(), type, data: {} });

/**
 * One append wakes every subscription, and most projections handle none of what was appended
 * (a campaign's messages for the tenants projection). A wake-up names the categories and event
 * types appended, in this process and through NOTIFY in the others, and a filtered subscription
 * sleeps through those that are not for it instead of asking the database each time.
 */
describe.each(sqlBackends())('Subscription wake-ups on %s', (backend) => {
  let database: TestDatabase;
  let pools: pg.Pool[];

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    pools = [];
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
  });

  const open = async (listen: boolean) => {
    const pool = createPool(database.connectionString, 4);
    pools.push(pool);
    return PostgresEventStore.open(pool, { listen, pollIntervalMs: POLL_MS });
  };

  describe('Given a subscription to one category, caught up', () => {
    describe('When other categories and other types of its category are appended', () => {
      it('should not read the log, then wake at once for an event it handles', async () => {
        const store = await open(false);
        const counter = countReads(store);
        const category = `alpha${randomUUID().slice(0, 8)}`;
        const sub = follow(store, { categories: [category], eventTypes: ['AlphaHappened'] });
        const quiet = await settled(counter);

        for (let i = 0; i < 20; i++) {
          await store.append(`beta${i}-${randomUUID()}`, [event('BetaHappened')]);
          await store.appendMany([
            { streamId: `gamma-${randomUUID()}`, events: [event('GammaHappened')] },
            { streamId: `${category}-${randomUUID()}`, events: [event('AlphaIgnored')] },
          ]);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(counter.reads).toBe(quiet);
        expect(sub.received).toHaveLength(0);

        await store.append(`${category}-${randomUUID()}`, [event('AlphaHappened')]);
        await until(() => sub.received.length === 1);
        expect(sub.received[0]!.type).toBe('AlphaHappened');
        expect(counter.reads).toBeGreaterThan(quiet);
        await sub.stop();
        await store.close();
      });
    });
  });

  if (backend === 'postgres') {
    describe('Given a subscription in another process (a second store, LISTEN)', () => {
      describe('When this process appends other categories, then one it handles', () => {
        it('should sleep through the first NOTIFYs and wake for the last', async () => {
          const writer = await open(true);
          const reader = await open(true);
          const counter = countReads(reader);
          const category = `delta${randomUUID().slice(0, 8)}`;
          const sub = follow(reader, { categories: [category] });
          const quiet = await settled(counter);

          for (let i = 0; i < 20; i++) {
            await writer.append(`epsilon-${randomUUID()}`, [event('EpsilonHappened')]);
          }
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(counter.reads).toBe(quiet);

          await writer.append(`${category}-${randomUUID()}`, [event('DeltaHappened')]);
          await until(() => sub.received.length === 1);
          expect(counter.reads).toBeGreaterThan(quiet);
          await sub.stop();
          await Promise.all([writer.close(), reader.close()]);
        });
      });

      describe('When a NOTIFY names nothing (an older process)', () => {
        it('should read, as before', async () => {
          const reader = await open(true);
          const counter = countReads(reader);
          const category = `zeta${randomUUID().slice(0, 8)}`;
          const sub = follow(reader, { categories: [category] });
          const quiet = await settled(counter);
          await pools[0]!.query(`SELECT pg_notify('mp_events', '')`);
          await until(() => counter.reads > quiet);
          await sub.stop();
          await reader.close();
        });
      });
    });
  }
});
