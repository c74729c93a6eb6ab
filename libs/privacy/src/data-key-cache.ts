import type { KeyObject } from 'node:crypto';

import { LRUCache } from 'lru-cache';

/** An unwrapped data key, or `null` when the subject was erased (its tombstone is permanent). */
export interface CachedSubjectKey {
  /** A KeyObject: the key bytes live outside the JavaScript heap, and print as nothing. */
  readonly key: KeyObject | null;
  readonly tenantId: string | null;
}

export interface DataKeyCacheOptions {
  maxEntries?: number;
  /** How long a key (or an erasure) is trusted before it is read again: bounds how late another process's shred takes effect. */
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_KEY_CACHE_ENTRIES = 10_000;
export const DEFAULT_KEY_CACHE_TTL_MS = 60_000;

/**
 * Bounded LRU with a time to live (`lru-cache`). Bulk imports put a new key in for every row, so
 * a full cache evicts on every `set`: a Map whose oldest entry is found through `keys()` paid
 * for every hole its earlier deletions left (about 10 µs a call at 10 000 entries).
 */
export class DataKeyCache {
  readonly #entries: LRUCache<string, CachedSubjectKey> | undefined;

  constructor(options: DataKeyCacheOptions = {}) {
    const max = Math.max(0, options.maxEntries ?? DEFAULT_KEY_CACHE_ENTRIES);
    const ttl = options.ttlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    const now = options.now ?? Date.now;
    this.#entries =
      max > 0 && ttl > 0
        ? // ttlResolution 0: the clock is read at every check, never a cached reading.
          new LRUCache({ max, ttl, ttlResolution: 0, perf: { now } })
        : undefined;
  }

  get size(): number {
    return this.#entries?.size ?? 0;
  }

  get(subjectId: string): CachedSubjectKey | undefined {
    return this.#entries?.get(subjectId);
  }

  set(subjectId: string, value: CachedSubjectKey): void {
    this.#entries?.set(subjectId, value);
  }

  delete(subjectId: string): void {
    this.#entries?.delete(subjectId);
  }

  clear(): void {
    this.#entries?.clear();
  }
}
