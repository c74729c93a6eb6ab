import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import {
  type AppendRequest,
  type Position,
  PostgresEventStore,
  WrongExpectedRevisionError,
  createPool,
} from '#event-store';
import { type TestDatabase, createTestDatabase, sqlBackends } from '#testing';

import { GroupCommitWriter, type GroupedAppend } from './group-commit.js';

describe.each(sqlBackends())('Group commit writer on %s', (backend) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    pool = createPool(database.connectionString, 4);
    store = await PostgresEventStore.open(pool, { listen: false, pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  /** A fresh stream with one event: revision 0. */
  const aStream = async (): Promise<string> => {
    const streamId = `grouptest-${randomUUID()}`;
    await store.append(streamId, [anEvent('Started')], { expectedRevision: 'no_stream' });
    return streamId;
  };

  /** An outcome-like append at revision 0; alone, it is appended at the same revision. */
  const anAppend = (streamId: string): GroupedAppend => {
    const request: AppendRequest = {
      streamId,
      events: [anEvent('Finished')],
      expectedRevision: 0n,
    };
    return {
      request,
      alone: async () => {
        const result = await store.append(streamId, request.events, {
          expectedRevision: request.expectedRevision,
        });
        return result.position;
      },
    };
  };

  const typesOf = async (streamId: string) => (await store.readStream(streamId)).map((e) => e.type);

  describe('When as many requests as a group holds are queued', () => {
    it('should write them at once with one appendMany, in one transaction', async () => {
      const writer = new GroupCommitWriter(store, { maxRequests: 3, maxDelayMs: 60_000 });
      const streams = await Promise.all([aStream(), aStream(), aStream()]);

      const positions = await Promise.all(streams.map((s) => writer.append(anAppend(s))));

      expect(writer.groups).toBe(1);
      expect(writer.pending).toBe(0);
      expect(new Set(positions.map((p) => p!.commit)).size).toBe(1);
      for (const s of streams) expect(await typesOf(s)).toEqual(['Started', 'Finished']);
    });
  });

  describe('When fewer requests than a group holds are queued', () => {
    it('should write them after the delay, without a flush', async () => {
      const writer = new GroupCommitWriter(store, { maxRequests: 50, maxDelayMs: 20 });
      const streams = await Promise.all([aStream(), aStream()]);

      const writes = streams.map((s) => writer.append(anAppend(s)));
      expect(writer.pending).toBe(2);
      const positions = await Promise.all(writes);

      expect(writer.groups).toBe(1);
      expect(writer.pending).toBe(0);
      expect(positions.every((p) => p !== undefined)).toBe(true);
      for (const s of streams) expect(await typesOf(s)).toEqual(['Started', 'Finished']);
    });
  });

  describe('When the round ends with requests waiting', () => {
    it('should write them at flush, and flush should wait for them', async () => {
      const writer = new GroupCommitWriter(store, { maxRequests: 50, maxDelayMs: 60_000 });
      const streams = await Promise.all([aStream(), aStream()]);
      const results: Array<Position | undefined> = [];
      const waiting = streams.map((s) =>
        writer.append(anAppend(s)).then((p) => void results.push(p)),
      );
      expect(writer.pending).toBe(2);

      await writer.flush();

      expect(writer.pending).toBe(0);
      expect(results).toHaveLength(2);
      await Promise.all(waiting);
      for (const s of streams) expect(await typesOf(s)).toEqual(['Started', 'Finished']);
    });
  });

  describe('When one request of a group conflicts (its stream moved on)', () => {
    it('should write the others alone and fail only that one', async () => {
      const failures: number[] = [];
      const writer = new GroupCommitWriter(store, {
        maxRequests: 3,
        maxDelayMs: 60_000,
        onGroupFailed: (_error, requests) => failures.push(requests),
      });
      const [first, taken, last] = await Promise.all([aStream(), aStream(), aStream()]);
      // Another writer appends to one stream after its request was decided.
      await store.append(taken, [anEvent('TakenOver')], { expectedRevision: 0n });

      const settled = await Promise.allSettled(
        [first, taken, last].map((s) => writer.append(anAppend(s))),
      );

      expect(failures).toEqual([3]);
      expect(writer.fallbacks).toBe(1);
      expect(settled[0]).toMatchObject({ status: 'fulfilled', value: expect.anything() });
      expect(settled[2]).toMatchObject({ status: 'fulfilled', value: expect.anything() });
      expect(settled[1]).toMatchObject({ status: 'rejected' });
      expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      expect(await typesOf(first)).toEqual(['Started', 'Finished']);
      expect(await typesOf(last)).toEqual(['Started', 'Finished']);
      expect(await typesOf(taken)).toEqual(['Started', 'TakenOver']);
    });
  });

  describe('When one stream is queued twice', () => {
    it('should start a new group for the second request', async () => {
      const writer = new GroupCommitWriter(store, { maxRequests: 50, maxDelayMs: 60_000 });
      const streamId = await aStream();
      const second: GroupedAppend = {
        ...anAppend(streamId),
        request: { streamId, events: [anEvent('Again')], expectedRevision: 1n },
      };

      const writes = Promise.all([writer.append(anAppend(streamId)), writer.append(second)]);
      await writer.flush();
      await writes;

      expect(writer.groups).toBe(2);
      expect(await typesOf(streamId)).toEqual(['Started', 'Finished', 'Again']);
    });
  });
});

const anEvent = (type: string) => ({ eventId: randomUUID(), type, data: {} });
