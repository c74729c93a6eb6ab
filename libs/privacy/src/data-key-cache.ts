import type { KeyObject } from 'node:crypto';

/** An unwrapped data key, or `null` when the subject was erased (its tombstone is permanent). */
export interface CachedSubjectKey {
  /** A KeyObject: `createCipheriv` and `createDecipheriv` take it a third faster than raw bytes. */
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

/** Bounded LRU with a time to live. A Map keeps insertion order: re-inserting on read makes it LRU. */
export class DataKeyCache {
  readonly #entries = new Map<string, { value: CachedSubjectKey; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: DataKeyCacheOptions = {}) {
    this.#maxEntries = Math.max(0, options.maxEntries ?? DEFAULT_KEY_CACHE_ENTRIES);
    this.#ttlMs = options.ttlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(subjectId: string): CachedSubjectKey | undefined {
    const entry = this.#entries.get(subjectId);
    if (!entry) return undefined;
    this.#entries.delete(subjectId);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(subjectId, entry);
    return entry.value;
  }

  set(subjectId: string, value: CachedSubjectKey): void {
    if (this.#maxEntries === 0 || this.#ttlMs <= 0) return;
    this.#entries.delete(subjectId);
    this.#entries.set(subjectId, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  delete(subjectId: string): void {
    this.#entries.delete(subjectId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
