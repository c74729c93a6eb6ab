import { setTimeout as delay } from 'node:timers/promises';

import type pg from 'pg';

import { type ApiKeyRole, TENANT_STREAM_CATEGORY } from '#domain';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  Position,
  RecordedEvent,
} from '#event-store';

import { hashApiKey } from '../commands/tenant-administration.js';

/** What a request's API key stands for, as the `api_keys` read model has it. */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  role: ApiKeyRole;
  revoked: boolean;
}

/** The events that change what a key may do (issuing adds a key no one can have cached). */
const KEY_CHANGES = ['ApiKeyRevoked', 'ApiKeyRoleChanged'];
/** A cached key is read again after this long, whatever happens (a backstop, not the mechanism). */
const CACHE_TTL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
const MAX_PENDING_CHANGES = 10_000;

interface Cached {
  record: ApiKeyRecord;
  revision: bigint;
  until: number;
}

export interface ApiKeyDirectoryOptions {
  pool: pg.Pool;
  store: EventStore;
  /** Resolves true once the `api-keys` read model has applied the log up to `position`. */
  readModelReached: (position: Position) => Promise<boolean>;
  now?: () => number;
}

/**
 * API keys by their secret, for every request: the `api_keys` read model, with the keys in use
 * kept in memory so a request does not pay a database round trip to authenticate.
 *
 * A cached key is never more permissive than the read model:
 *
 * - **Changes are watched.** A subscription to the log (any store, any process that appends)
 *   sees every `ApiKeyRevoked` and `ApiKeyRoleChanged` and drops that key at once. Appends made by
 *   this process drop it before their `append` returns (`observeAppended`), so a revocation here
 *   holds for the very next request; other API processes follow within their subscription's
 *   wake-up (milliseconds on PostgreSQL, where appends NOTIFY).
 * - **A key is cached only from a read that is known to be current:** the read model must show the
 *   key at or past the revision of the last change seen for it, no change may have arrived while
 *   the row was being read, and the subscription must be live (it starts from the head of the log
 *   once the read model has caught up with it). Until then, and whenever the subscription fails,
 *   every lookup reads the database, exactly as without a cache.
 * - Unknown keys are never cached (a key issued a moment ago must work as soon as the read model
 *   has it); revoked ones are (revocation is final). Entries expire after a minute regardless.
 */
export class ApiKeyDirectory {
  readonly #cache = new Map<string, Cached>();
  /** Key id → the revision of the newest change seen for it that a read has not shown yet. */
  readonly #pending = new Map<string, bigint>();
  /** Bumped by every change seen: a read that began before one does not fill the cache. */
  #changes = 0;
  #live = false;
  #watching: Promise<void> | undefined;
  readonly #stop = new AbortController();
  readonly #now: () => number;

  constructor(private readonly options: ApiKeyDirectoryOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** The key behind this secret, or undefined when there is none. */
  async lookup(secret: string): Promise<ApiKeyRecord | undefined> {
    this.#watching ??= this.#watch();
    const hash = hashApiKey(secret);
    const cached = this.#cache.get(hash);
    if (cached && cached.until > this.#now()) return cached.record;
    const changes = this.#changes;
    const { rows } = await this.options.pool.query<{
      key_id: string;
      tenant_id: string;
      role: ApiKeyRole;
      revoked: boolean;
      last_revision: string;
    }>(
      `SELECT key_id, tenant_id, role, revoked_at IS NOT NULL AS revoked, last_revision::text
         FROM api_keys WHERE key_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const record = {
      keyId: row.key_id,
      tenantId: row.tenant_id,
      role: row.role,
      revoked: row.revoked,
    };
    this.#remember(hash, record, BigInt(row.last_revision), changes);
    return record;
  }

  /** A stream this process wrote: drops the keys its events change before the append returns. */
  observeAppended(events: readonly EventToAppend[], result: AppendResult): void {
    events.forEach((event, i) => {
      // The last event's revision is in the result; the others precede it one by one.
      if (KEY_CHANGES.includes(event.type))
        this.#changed(
          keyIdOf(event.data),
          result.nextExpectedRevision - BigInt(events.length - 1 - i),
        );
    });
  }

  /** How many keys are cached (tests, metrics). */
  get size(): number {
    return this.#cache.size;
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.#live = false;
    await this.#watching;
  }

  #remember(hash: string, record: ApiKeyRecord, revision: bigint, changesBefore: number): void {
    if (!this.#live || changesBefore !== this.#changes) return;
    const pending = this.#pending.get(record.keyId);
    if (pending !== undefined) {
      if (revision < pending) return; // the read model has not applied that change yet
      this.#pending.delete(record.keyId);
    }
    if (this.#cache.size >= MAX_CACHED_KEYS) this.#forgetAll();
    this.#cache.set(hash, { record, revision, until: this.#now() + CACHE_TTL_MS });
  }

  #changed(keyId: string | undefined, revision: bigint): void {
    this.#changes++;
    if (!keyId) {
      this.#forgetAll();
      return;
    }
    // Key changes are rare: a scan of the cache costs less than keeping a second index of it.
    for (const [hash, cached] of this.#cache)
      if (cached.record.keyId === keyId) this.#cache.delete(hash);
    const known = this.#pending.get(keyId);
    if (known !== undefined && known >= revision) return;
    if (known === undefined && this.#pending.size >= MAX_PENDING_CHANGES) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#pending.set(keyId, revision);
  }

  #forgetAll(): void {
    this.#cache.clear();
  }

  /** Follows the log for key changes; caching is on only while this is live. */
  async #watch(): Promise<void> {
    const signal = this.#stop.signal;
    let from: Position | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        from ??= await this.options.store.headPosition();
        // Rows read from here on show every change up to `from`; later ones come through below.
        if (from && !(await this.options.readModelReached(from))) throw new Error('lagging');
        this.#live = true;
        for await (const batch of this.options.store.subscribeBatches({
          from,
          filter: { categories: [TENANT_STREAM_CATEGORY], eventTypes: KEY_CHANGES },
          signal,
        })) {
          for (const event of batch) this.#seen(event);
          from = batch[batch.length - 1]!.position;
          failures = 0;
        }
      } catch {
        // Not live: every lookup reads the database until the subscription is back.
        this.#live = false;
        this.#forgetAll();
        if (signal.aborted) return;
        failures++;
        await delay(Math.min(100 * 2 ** failures, 5_000), undefined, { signal }).catch(
          () => undefined,
        );
      }
    }
  }

  #seen(event: RecordedEvent): void {
    if (KEY_CHANGES.includes(event.type)) this.#changed(keyIdOf(event.data), event.revision);
  }
}

const keyIdOf = (data: unknown): string | undefined => {
  const keyId = (data as { keyId?: unknown } | null)?.keyId;
  return typeof keyId === 'string' ? keyId : undefined;
};
