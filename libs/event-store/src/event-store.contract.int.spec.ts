import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';

import {
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
  EventStoreError,
  PostgresEventStore,
  WrongExpectedRevisionError,
  comparePositions,
  createPool,
  eventContentDigest,
  subscribe,
} from '#event-store';
import { createTestDatabase, reportSkipped, sqlBackends } from '#testing';

/**
 * One contract, every reachable adapter: PGlite always, PostgreSQL when DATABASE_URL is set,
 * EventStoreDB when EVENTSTORE_URL is set. Skipped adapters are named in the output.
 */
interface AdapterHarness {
  store: EventStore;
  /** SQL adapters: `appendMany` is one transaction across streams (EventStoreDB: per stream). */
  atomicAppendMany?: boolean;
  /** SQL adapters only: append inside a transaction held open for `delayMs`, then commit or roll back. */
  appendInSlowTransaction?: (
    streamId: string,
    events: EventToAppend[],
    delayMs: number,
    rollback: boolean,
  ) => Promise<void>;
  /** SQL adapters only: change stored bytes behind the store's back. */
  tamper?: (eventId: string) => Promise<void>;
  close(): Promise<void>;
}

const sqlHarness = async (kind: 'pglite' | 'postgres'): Promise<AdapterHarness> => {
  const database = await createTestDatabase(kind);
  const pool = createPool(database.connectionString, 12);
  const store = await PostgresEventStore.open(pool, {
    listen: kind === 'postgres',
    pollIntervalMs: 50,
  });
  return {
    store,
    atomicAppendMany: true,
    appendInSlowTransaction: async (streamId, events, delayMs, rollback) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const data = events.map((e) => JSON.stringify(e.data));
        const metadata = events.map(() =>
          JSON.stringify({ schemaVersion: 1, timestamp: new Date().toISOString() }),
        );
        const digests = events.map((e, i) =>
          eventContentDigest({
            eventId: e.eventId,
            streamId,
            type: e.type,
            dataText: data[i]!,
            metadataText: metadata[i]!,
          }),
        );
        await client.query(
          `SELECT * FROM mp_append($1, 'any', $2::uuid[], $3::text[], $4::json, $5::json, $6::bytea)`,
          [
            streamId,
            events.map((e) => e.eventId),
            events.map((e) => e.type),
            `[${data.join(',')}]`,
            `[${metadata.join(',')}]`,
            Buffer.concat(digests),
          ],
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
      } finally {
        client.release();
      }
    },
    tamper: async (eventId) => {
      await pool.query(`UPDATE mp_events SET data = '{"tampered":true}' WHERE event_id = $1`, [
        eventId,
      ]);
    },
    close: async () => {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
};

const adapters: Array<{ name: string; open: () => Promise<AdapterHarness> }> = sqlBackends().map(
  (kind) => ({ name: kind === 'pglite' ? 'PGlite' : 'PostgreSQL', open: () => sqlHarness(kind) }),
);
if (!process.env.DATABASE_URL)
  reportSkipped('event store contract on PostgreSQL', 'DATABASE_URL not set');
if (process.env.EVENTSTORE_URL) {
  const url = process.env.EVENTSTORE_URL;
  adapters.push({
    name: 'EventStoreDB',
    open: async () => {
      const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store.js');
      const store = await EventStoreDbEventStore.open(url);
      return { store, close: () => store.close() };
    },
  });
} else {
  reportSkipped('event store contract on EventStoreDB', 'EVENTSTORE_URL not set');
}

const anEvent = (type = 'ThingHappened', data: unknown = { n: 1 }): EventToAppend => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { tenantId: randomUUID(), actor: 'test', correlationId: randomUUID() },
});
const events = (n: number, type?: string): EventToAppend[] =>
  Array.from({ length: n }, (_, i) => anEvent(type, { n: i }));

/** Reads the whole log after `from` through the subscription until `until` returns true. */
const collect = async (
  store: EventStore,
  options: { from?: Position; filter?: { categories?: string[]; eventTypes?: string[] } },
  until: (seen: RecordedEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<RecordedEvent[]> => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const seen: RecordedEvent[] = [];
  try {
    for await (const event of subscribe(store, { ...options, signal: controller.signal })) {
      seen.push(event);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
};

describe.each(adapters)('Event store contract: $name', ({ open }) => {
  let harness: AdapterHarness;
  let store: EventStore;
  beforeAll(async () => {
    harness = await open();
    store = harness.store;
  });
  afterAll(async () => harness.close());

  describe('When appending to a stream', () => {
    it('should store events with 0-based revisions and read them back in order', async () => {
      const streamId = `order-${randomUUID()}`;
      const batch = events(3);
      const result = await store.append(streamId, batch, { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(2n);
      const read = await store.readStream(streamId);
      expect(read.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
      expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect(read[0]!.metadata).toMatchObject({ actor: 'test', schemaVersion: 1 });
      expect(typeof read[0]!.metadata.timestamp).toBe('string');
      expect(comparePositions(read[2]!.position, result.position)).toBe(0);
    });

    it('should read a stream that does not exist as empty', async () => {
      expect(await store.readStream(`order-${randomUUID()}`)).toEqual([]);
    });

    it('should enforce every form of expected revision', async () => {
      const streamId = `order-${randomUUID()}`;
      await expect(
        store.append(streamId, events(1), { expectedRevision: 'stream_exists' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(
        store.append(streamId, events(1), { expectedRevision: 0n }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(streamId, events(2), { expectedRevision: 'no_stream' });
      await expect(
        store.append(streamId, events(1), { expectedRevision: 'no_stream' }),
      ).rejects.toMatchObject({
        code: 'WRONG_EXPECTED_REVISION',
        actual: 1n,
      });
      await expect(
        store.append(streamId, events(1), { expectedRevision: 0n }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(streamId, events(1), { expectedRevision: 1n });
      await store.append(streamId, events(1), { expectedRevision: 'stream_exists' });
      const last = await store.append(streamId, events(1), { expectedRevision: 'any' });
      expect(last.nextExpectedRevision).toBe(4n);
      expect(await store.readStream(streamId)).toHaveLength(5);
    });

    it('should reject invalid input with a typed error and write nothing', async () => {
      const streamId = `order-${randomUUID()}`;
      await expect(store.append('not a stream id!', events(1))).rejects.toBeInstanceOf(
        EventStoreError,
      );
      await expect(store.append(streamId, [])).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(
        store.append(streamId, [...events(1), { eventId: 'nope', type: 'X', data: {} }]),
      ).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      expect(await store.readStream(streamId)).toEqual([]);
    });
  });

  describe('When the same events are appended again', () => {
    it('should return the first result and write nothing', async () => {
      const streamId = `idem-${randomUUID()}`;
      const batch = events(3);
      const first = await store.append(streamId, batch, { expectedRevision: 'no_stream' });
      const again = await store.append(streamId, batch, { expectedRevision: 'no_stream' });
      expect(again).toEqual(first);
      await store.append(streamId, events(1), { expectedRevision: 2n });
      const thirdTime = await store.append(streamId, batch, { expectedRevision: 'no_stream' });
      expect(thirdTime).toEqual(first);
      expect(await store.readStream(streamId)).toHaveLength(4);
    });

    it('should refuse a batch that only partly repeats stored events', async () => {
      const streamId = `idem-${randomUUID()}`;
      const batch = events(2);
      await store.append(streamId, batch);
      await expect(store.append(streamId, [batch[0]!, anEvent()])).rejects.toMatchObject({
        code: 'IDEMPOTENCY_MISMATCH',
      });
      expect(await store.readStream(streamId)).toHaveLength(2);
    });
  });

  describe('When many writers race for one stream', () => {
    it('should let exactly one writer win each revision', async () => {
      const streamId = `race-${randomUUID()}`;
      await store.append(streamId, events(1), { expectedRevision: 'no_stream' });
      const attempts = events(12);
      const outcomes = await Promise.allSettled(
        attempts.map((event) => store.append(streamId, [event], { expectedRevision: 0n })),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const o of lost) expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(streamId)).toHaveLength(2);
    });

    it('should lose and duplicate nothing when writers retry on conflict', async () => {
      const streamId = `race-${randomUUID()}`;
      const writers = 8;
      const perWriter = 10;
      const written: string[] = [];
      let conflicts = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (let i = 0; i < perWriter; i++) {
            const event = anEvent('Raced');
            for (;;) {
              const current = await store.readStream(streamId);
              const expectedRevision =
                current.length === 0 ? ('no_stream' as const) : BigInt(current.length - 1);
              try {
                await store.append(streamId, [event], { expectedRevision });
                written.push(event.eventId);
                break;
              } catch (error) {
                if (!(error instanceof WrongExpectedRevisionError)) throw error;
                conflicts++;
              }
            }
          }
        }),
      );
      const stored = await store.readStream(streamId);
      expect(stored).toHaveLength(writers * perWriter);
      expect(stored.map((e) => e.revision)).toEqual(stored.map((_, i) => BigInt(i)));
      expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(written));
      expect(conflicts).toBeGreaterThanOrEqual(0);
    });
  });

  describe('When reading the global log', () => {
    it('should return events in commit order, after a checkpoint, filtered by category and type', async () => {
      const head = await store.headPosition();
      const tag = randomUUID().slice(0, 8);
      const a = `alpha${tag}-${randomUUID()}`;
      const b = `beta${tag}-${randomUUID()}`;
      await store.append(a, [anEvent('Created'), anEvent('Renamed')]);
      await store.append(b, [anEvent('Created')]);
      await store.append(a, [anEvent('Deleted')]);

      const all = await store.readAll({ from: head, maxCount: 100 });
      const ours = all.filter((e) => e.streamId === a || e.streamId === b);
      expect(ours.map((e) => `${e.streamId === a ? 'a' : 'b'}:${e.type}`)).toEqual([
        'a:Created',
        'a:Renamed',
        'b:Created',
        'a:Deleted',
      ]);
      for (let i = 1; i < all.length; i++) {
        expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBeLessThan(0);
      }
      const alphas = await store.readAll({ from: head, filter: { categories: [`alpha${tag}`] } });
      expect(alphas.map((e) => e.type)).toEqual(['Created', 'Renamed', 'Deleted']);
      const created = await store.readAll({
        from: head,
        filter: { categories: [`alpha${tag}`, `beta${tag}`], eventTypes: ['Created'] },
      });
      expect(created.map((e) => e.streamId)).toEqual([a, b]);
      const afterFirst = await store.readAll({
        from: ours[0]!.position,
        filter: { categories: [`alpha${tag}`] },
      });
      expect(afterFirst.map((e) => e.type)).toEqual(['Renamed', 'Deleted']);
    });
  });

  describe('When subscribing', () => {
    it('should catch up, turn live, and resume from a checkpoint without loss or repeat', async () => {
      const category = `sub${randomUUID().slice(0, 8)}`;
      const stream = `${category}-${randomUUID()}`;
      const first = events(5, 'Early');
      await store.append(stream, first);

      const filter = { categories: [category] };
      const caughtUp = await collect(store, { filter }, (seen) => seen.length === 5);
      expect(caughtUp.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
      const checkpoint = caughtUp[2]!.position;

      const later = events(4, 'Late');
      const live = collect(store, { from: checkpoint, filter }, (seen) => seen.length === 6);
      setTimeout(
        () =>
          void store
            .append(stream, later.slice(0, 2))
            .then(() => store.append(stream, later.slice(2))),
        50,
      );
      const resumed = await live;
      expect(resumed.map((e) => e.eventId)).toEqual([
        ...first.slice(3).map((e) => e.eventId),
        ...later.map((e) => e.eventId),
      ]);
    });

    it('should filter by event type', async () => {
      const category = `typ${randomUUID().slice(0, 8)}`;
      const stream = `${category}-${randomUUID()}`;
      await store.append(stream, [anEvent('Keep'), anEvent('Drop'), anEvent('Keep')]);
      const seen = await collect(
        store,
        { filter: { categories: [category], eventTypes: ['Keep'] } },
        (s) => s.length === 2,
      );
      expect(seen.map((e) => e.type)).toEqual(['Keep', 'Keep']);
    });
  });

  describe('When transactions commit out of position order', () => {
    it('should deliver every committed event exactly once and never a rolled-back one', async () => {
      if (!harness.appendInSlowTransaction) return; // EventStoreDB commits appends atomically and in order.
      const category = `ooo${randomUUID().slice(0, 8)}`;
      const controller = new AbortController();
      const received: RecordedEvent[] = [];
      const consumer = (async () => {
        for await (const event of subscribe(store, {
          filter: { categories: [category] },
          signal: controller.signal,
        })) {
          received.push(event);
        }
      })();

      const writers = 24;
      const committed: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, i) => {
          const batch = events(1 + (i % 3), 'Raced');
          const rollback = i % 5 === 0;
          // Early writers hold their transaction longest, so later positions commit first.
          const delay = Math.floor(Math.random() * 40) + (writers - i) * 3;
          await harness.appendInSlowTransaction!(
            `${category}-${randomUUID()}`,
            batch,
            delay,
            rollback,
          );
          if (!rollback) committed.push(...batch.map((e) => e.eventId));
        }),
      );
      const deadline = Date.now() + 20_000;
      while (received.length < committed.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // anything extra would arrive now
      controller.abort();
      await consumer;

      const ids = received.map((e) => e.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(committed));
      for (let i = 1; i < received.length; i++) {
        expect(comparePositions(received[i - 1]!.position, received[i]!.position)).toBeLessThan(0);
      }
    });
  });

  describe('When appending to many streams in one call', () => {
    it('should write every new stream with revisions 0..n and its metadata', async () => {
      // Given new streams with one to three events each
      const requests = [1, 2, 3, 1, 2].map((n) => ({
        streamId: `bulk-${randomUUID()}`,
        events: events(n),
      }));
      // When they are appended in one call
      const results = await store.appendMany([
        { ...requests[0]!, expectedRevision: 'no_stream' as const },
        ...requests.slice(1),
      ]);
      // Then each stream reads back in order, with its metadata, and its result points at its last event
      expect(results.map((r) => r.nextExpectedRevision)).toEqual(
        requests.map((r) => BigInt(r.events.length - 1)),
      );
      const read = await store.readStreams(requests.map((r) => r.streamId));
      requests.forEach((request, i) => {
        const stored = read.get(request.streamId)!;
        expect(stored.map((e) => e.eventId)).toEqual(request.events.map((e) => e.eventId));
        expect(stored.map((e) => e.revision)).toEqual(request.events.map((_, n) => BigInt(n)));
        expect(stored.map((e) => e.streamId)).toEqual(request.events.map(() => request.streamId));
        stored.forEach((event, n) => {
          expect(event.metadata).toMatchObject({
            ...request.events[n]!.metadata,
            schemaVersion: 1,
          });
          expect(typeof event.metadata.timestamp).toBe('string');
          expect(event.data).toEqual(request.events[n]!.data);
        });
        expect(comparePositions(stored[stored.length - 1]!.position, results[i]!.position)).toBe(0);
      });
    });

    it('should return positions in request order and show the events in the global log', async () => {
      // Given the head of the log and new streams of one category
      const head = await store.headPosition();
      const category = `bulklog${randomUUID().slice(0, 8)}`;
      const requests = Array.from({ length: 6 }, (_, i) => ({
        streamId: `${category}-${randomUUID()}`,
        events: events(1 + (i % 2)),
      }));
      // When they are appended in one call
      const results = await store.appendMany(requests);
      // Then the results' positions grow in request order and the log holds every event in that order
      for (let i = 1; i < results.length; i++) {
        expect(comparePositions(results[i - 1]!.position, results[i]!.position)).toBeLessThan(0);
      }
      // (through a subscription: a transaction still running elsewhere may hide them for a moment)
      const expected = requests.flatMap((r) => r.events.map((e) => e.eventId));
      const logged = await collect(
        store,
        { from: head, filter: { categories: [category] } },
        (seen) => seen.length >= expected.length,
      );
      expect(logged.map((e) => e.eventId)).toEqual(expected);
      // And each result is its stream's last event
      const read = await store.readStreams(requests.map((r) => r.streamId));
      requests.forEach((request, i) => {
        const last = read.get(request.streamId)!.at(-1)!;
        expect(comparePositions(last.position, results[i]!.position)).toBe(0);
      });
    });

    it('should write nothing and name the stream when one expected revision among many is wrong', async () => {
      // Given an existing stream at revision 1 and three new streams
      const existing = `bulk-${randomUUID()}`;
      await store.append(existing, events(2));
      const fresh = [0, 1, 2].map(() => `bulk-${randomUUID()}`);
      const request = (streamId: string) => ({ streamId, events: events(1) });
      // When one call expects the existing stream at revision 0 among the new ones
      const attempt = store.appendMany([
        request(fresh[0]!),
        request(fresh[1]!),
        { ...request(existing), expectedRevision: 0n },
        request(fresh[2]!),
      ]);
      // Then it fails naming that stream, and nothing of the call is written
      await expect(attempt).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(attempt).rejects.toMatchObject({
        streamId: existing,
        expected: '0',
        actual: 1n,
      });
      if (!harness.atomicAppendMany) return; // EventStoreDB: the requests before it are written.
      // And so do 'no_stream' on an existing stream and 'stream_exists' on a missing one
      await expect(
        store.appendMany([
          request(fresh[0]!),
          { ...request(existing), expectedRevision: 'no_stream' },
        ]),
      ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', streamId: existing });
      await expect(
        store.appendMany([
          { ...request(fresh[0]!), expectedRevision: 'any' },
          { ...request(fresh[1]!), expectedRevision: 'stream_exists' },
        ]),
      ).rejects.toMatchObject({
        code: 'WRONG_EXPECTED_REVISION',
        streamId: fresh[1],
        actual: 'no_stream',
      });
      const read = await store.readStreams([...fresh, existing]);
      for (const id of fresh) expect(read.get(id)).toEqual([]);
      expect(read.get(existing)).toHaveLength(2);
    });

    it('should return the first results and write nothing when the same batch is appended again', async () => {
      // Given a batch appended once
      const batch = [2, 1, 3].map((n) => ({
        streamId: `bulkidem-${randomUUID()}`,
        events: events(n),
        expectedRevision: 'no_stream' as const,
      }));
      const first = await store.appendMany(batch);
      // When the same batch is appended again, alone and beside a new stream
      const again = await store.appendMany(batch);
      const extra = { streamId: `bulkidem-${randomUUID()}`, events: events(2) };
      const mixed = await store.appendMany([extra, batch[2]!, batch[0]!]);
      // Then the stored results come back and only the new stream is written
      expect(again).toEqual(first);
      expect(mixed[0]!.nextExpectedRevision).toBe(1n);
      expect(mixed[1]).toEqual(first[2]);
      expect(mixed[2]).toEqual(first[0]);
      const read = await store.readStreams([...batch.map((r) => r.streamId), extra.streamId]);
      expect([...read.values()].map((stored) => stored.length)).toEqual([2, 1, 3, 2]);
      // And a batch that only partly repeats stored events is refused
      await expect(
        store.appendMany([
          { streamId: batch[2]!.streamId, events: [batch[2]!.events[0]!, anEvent()] },
        ]),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    });

    it('should refuse invalid calls before writing anything', async () => {
      const a = `bulk-${randomUUID()}`;
      const b = `bulk-${randomUUID()}`;
      // Given a call that names a stream twice, then one with an empty request
      await expect(
        store.appendMany([
          { streamId: a, events: events(1) },
          { streamId: b, events: events(1) },
          { streamId: a, events: events(1) },
        ]),
      ).rejects.toMatchObject({ code: 'DUPLICATE_STREAM' });
      await expect(
        store.appendMany([
          { streamId: a, events: events(1) },
          { streamId: b, events: [] },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(
        store.appendMany([{ streamId: 'not a stream!', events: events(1) }]),
      ).rejects.toMatchObject({ code: 'INVALID_STREAM_ID' });
      // Then nothing is written, and an empty call is an empty answer
      expect(await store.readStream(a)).toEqual([]);
      expect(await store.readStream(b)).toEqual([]);
      expect(await store.appendMany([])).toEqual([]);
    });

    it('should keep the hash chain verifiable', async () => {
      // Given a stream with events appended one by one
      const existing = `bulkaudit-${randomUUID()}`;
      await store.append(existing, events(2));
      const other = `bulkaudit-${randomUUID()}`;
      await store.append(other, events(1));
      const fresh = `bulkaudit-${randomUUID()}`;
      // When more events for them and a new stream are appended in one call
      const results = await store.appendMany([
        { streamId: fresh, events: events(3) },
        { streamId: existing, events: events(2), expectedRevision: 1n },
        { streamId: other, events: events(1), expectedRevision: 'stream_exists' },
      ]);
      expect(results.map((r) => r.nextExpectedRevision)).toEqual([2n, 3n, 1n]);
      // Then both chains link and verify, and so does the whole log
      const stored = await store.readStream(existing);
      expect(stored[2]!.previousHash).toBe(stored[1]!.hash);
      expect(await store.verifyChain({ streamId: existing })).toMatchObject({
        ok: true,
        checked: 4,
      });
      expect(await store.verifyChain({ streamId: fresh })).toMatchObject({ ok: true, checked: 3 });
      expect(await store.verifyChain({ streamId: other })).toMatchObject({ ok: true, checked: 2 });
      expect((await store.verifyChain()).ok).toBe(true);
    });

    it('should lose and duplicate nothing when bulk writers and single appends race on shared streams', async () => {
      // Given 50 shared streams, 4 bulk writers and one single-stream writer
      const head = await store.headPosition();
      const category = `bulkrace${randomUUID().slice(0, 8)}`;
      const streams = Array.from({ length: 50 }, () => `${category}-${randomUUID()}`);
      const bulkWriters = 4;
      const rounds = 3;
      const singles = 20;
      const written: string[] = [];
      const shuffled = (): string[] =>
        streams
          .map((id) => ({ id, key: Math.random() }))
          .sort((x, y) => x.key - y.key)
          .map((x) => x.id);
      // When they all append with 'any' at the same time, each bulk call in its own stream order
      await Promise.all([
        ...Array.from({ length: bulkWriters }, async () => {
          for (let round = 0; round < rounds; round++) {
            const requests = shuffled().map((streamId) => ({
              streamId,
              events: [anEvent('Bulk')],
              expectedRevision: 'any' as const,
            }));
            await store.appendMany(requests);
            written.push(...requests.map((r) => r.events[0]!.eventId));
          }
        }),
        (async () => {
          for (let i = 0; i < singles; i++) {
            const event = anEvent('Single');
            await store.append(streams[(i * 7) % streams.length]!, [event]);
            written.push(event.eventId);
          }
        })(),
      ]);
      // Then every stream holds exactly its events, with gap-free revisions and a sound chain
      const read = await store.readStreams(streams);
      const stored = [...read.values()].flat();
      expect(stored).toHaveLength(bulkWriters * rounds * streams.length + singles);
      expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(written));
      for (const events of read.values()) {
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
      }
      const appendsPerStream = [...read.values()].map((events) => events.length);
      expect(appendsPerStream.reduce((a, b) => a + b, 0)).toBe(written.length);
      // And the global log holds each stream's events in revision order, so the chain verifies
      const logged = await collect(
        store,
        { from: head, filter: { categories: [category] } },
        (seen) => seen.length >= written.length,
      );
      expect(logged).toHaveLength(written.length);
      const seen = new Map<string, bigint>();
      for (const event of logged) {
        expect(event.revision).toBe((seen.get(event.streamId) ?? -1n) + 1n);
        seen.set(event.streamId, event.revision);
      }
      expect(await store.verifyChain({ from: head })).toMatchObject({ ok: true });
    });
  });

  describe('When reading many streams at once', () => {
    it('should return exactly the requested streams, missing ones as empty', async () => {
      // Given three streams
      const [a, b, c] = [0, 1, 2].map(() => `multi-${randomUUID()}`) as [string, string, string];
      const written = { [a]: events(3), [b]: events(1), [c]: events(2) };
      for (const [streamId, batch] of Object.entries(written)) await store.append(streamId, batch);
      const missing = `multi-${randomUUID()}`;
      // When two of them and a missing one are read
      const read = await store.readStreams([b, missing, a]);
      // Then exactly those come back, in revision order
      expect(new Set(read.keys())).toEqual(new Set([a, b, missing]));
      expect(read.get(a)!.map((e) => e.eventId)).toEqual(written[a]!.map((e) => e.eventId));
      expect(read.get(a)!.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect(read.get(b)!.map((e) => e.eventId)).toEqual(written[b]!.map((e) => e.eventId));
      expect(read.get(missing)).toEqual([]);
      expect((await store.readStreams([])).size).toBe(0);
    });
  });

  describe('When subscribing to events appended in bulk', () => {
    it('should deliver them on catch-up and live', async () => {
      // Given streams of one category appended in one call
      const category = `bulksub${randomUUID().slice(0, 8)}`;
      const request = (n: number) => ({
        streamId: `${category}-${randomUUID()}`,
        events: events(n),
      });
      const early = [request(2), request(1), request(3)];
      await store.appendMany(early);
      const ids = (requests: Array<ReturnType<typeof request>>) =>
        requests.flatMap((r) => r.events.map((e) => e.eventId));
      // When a subscriber catches up, and more arrive in bulk while it is live
      const filter = { categories: [category] };
      const caughtUp = await collect(store, { filter }, (seen) => seen.length === 6);
      const late = [request(1), request(2)];
      const live = collect(
        store,
        { from: caughtUp[caughtUp.length - 1]!.position, filter },
        (seen) => seen.length === 3,
      );
      setTimeout(() => void store.appendMany(late), 50);
      // Then it sees every event once, in request order
      expect(caughtUp.map((e) => e.eventId)).toEqual(ids(early));
      expect((await live).map((e) => e.eventId)).toEqual(ids(late));
    });
  });

  describe('When an auditor verifies the hash chain', () => {
    it('should accept the untouched log and point at the first tampered event', async () => {
      const streamId = `audit-${randomUUID()}`;
      const batch = events(4);
      await store.append(streamId, batch.slice(0, 2));
      await store.append(streamId, batch.slice(2));
      const stored = await store.readStream(streamId);
      expect(stored[1]!.previousHash).toBe(stored[0]!.hash);
      expect(await store.verifyChain({ streamId })).toMatchObject({ ok: true, checked: 4 });
      const whole = await store.verifyChain();
      expect(whole.ok).toBe(true);
      if (!harness.tamper) return;
      await harness.tamper(batch[2]!.eventId);
      expect(await store.verifyChain({ streamId })).toMatchObject({
        ok: false,
        firstBroken: { streamId, revision: 2n },
      });
      expect((await store.verifyChain()).ok).toBe(false);
    });
  });
});

// Keep pg imported for type-only harness helpers above.
void pg;
