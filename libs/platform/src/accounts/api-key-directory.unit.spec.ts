import { describe, expect, it } from '@jest/globals';
import type pg from 'pg';

import type { EventStore } from '#event-store';

import { ApiKeyDirectory } from './api-key-directory.js';

/**
 * The cache's own rules, with the read model's answers held back on purpose: a database that
 * answers when told to, and a log that is live and empty (changes arrive as this process's own
 * appends). The int spec runs the same directory against real stores.
 */
const setUp = () => {
  const reads: Array<{ resolve: (rows: unknown[]) => void }> = [];
  let queries = 0;
  const pool = {
    query: () => {
      queries++;
      return new Promise((resolve) => reads.push({ resolve: (rows) => resolve({ rows }) }));
    },
  } as unknown as pg.Pool;
  const store = {
    headPosition: () => Promise.resolve(undefined),
    subscribeBatches: async function* (options: { signal?: AbortSignal }) {
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve));
      yield* [];
    },
  } as unknown as EventStore;
  const directory = new ApiKeyDirectory({
    pool,
    store,
    readModelReached: () => Promise.resolve(true),
  });
  const row = (revision: number, revoked = false) => ({
    key_id: 'key-1',
    tenant_id: 'tenant-1',
    role: 'admin',
    revoked,
    last_revision: String(revision),
  });
  const answer = async (rows: unknown[]) => {
    while (reads.length === 0) await new Promise((resolve) => setImmediate(resolve));
    reads.shift()!.resolve(rows);
  };
  const revokedInThisProcess = (revision: number) =>
    directory.observeAppended([{ eventId: 'e', type: 'ApiKeyRevoked', data: { keyId: 'key-1' } }], {
      nextExpectedRevision: BigInt(revision),
      position: { commit: 1n, prepare: 1n },
    });
  return { directory, row, answer, revokedInThisProcess, queries: () => queries };
};

describe('ApiKeyDirectory', () => {
  it('should cache a key read while the log is followed', async () => {
    const { directory, row, answer, queries } = setUp();
    await new Promise((resolve) => setImmediate(resolve)); // the watch goes live
    const first = directory.lookup('mpk_secret');
    await answer([row(3)]);
    await first;
    expect(await directory.lookup('mpk_secret')).toMatchObject({ keyId: 'key-1', revoked: false });
    expect(queries()).toBe(1);
    await directory.close();
  });

  it('should not cache a row read while a change to its key came in', async () => {
    const { directory, row, answer, revokedInThisProcess, queries } = setUp();
    await new Promise((resolve) => setImmediate(resolve));
    const reading = directory.lookup('mpk_secret');
    revokedInThisProcess(4); // appended while the (older) row was on its way
    await answer([row(3)]);
    expect((await reading)?.revoked).toBe(false); // what the read model said: no more, no less
    // Not cached: the next lookup reads again, and again until the row shows revision 4.
    const next = directory.lookup('mpk_secret');
    await answer([row(3)]);
    await next;
    const then = directory.lookup('mpk_secret');
    await answer([row(4, true)]);
    expect((await then)?.revoked).toBe(true);
    expect(queries()).toBe(3);
    expect(directory.size).toBe(1); // revocation is final: cached from here
    await directory.close();
  });

  it('should drop a cached key as soon as this process appends a change to it', async () => {
    const { directory, row, answer, revokedInThisProcess, queries } = setUp();
    await new Promise((resolve) => setImmediate(resolve));
    const first = directory.lookup('mpk_secret');
    await answer([row(3)]);
    await first;
    expect(directory.size).toBe(1);
    revokedInThisProcess(4);
    expect(directory.size).toBe(0);
    const again = directory.lookup('mpk_secret');
    await answer([row(4, true)]);
    expect((await again)?.revoked).toBe(true);
    expect(queries()).toBe(2);
    await directory.close();
  });
});
