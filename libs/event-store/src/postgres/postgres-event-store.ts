import pg from 'pg';

import { EventStoreError, WrongExpectedRevisionError } from '../event-store.errors.js';
import {
  type AppendRequest,
  type AppendResult,
  type ChainVerification,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type VerifyChainOptions,
  comparePositions,
} from '../event-store.port.js';
import { eventContentDigest } from '../hash-chain.js';
import { prepareAppendMany, serializeEvent, validateAppend } from '../prepare-append.js';
import {
  WakeSignal,
  type WakeTopics,
  formatWakeTopics,
  mergeWakeTopics,
  parseWakeTopics,
  wakeTopics,
} from '../wake-signal.js';
import { EVENT_STORE_SCHEMA_SQL } from './event-store.schema.js';
import { verifyPostgresChain } from './postgres-chain-verifier.js';

const SCHEMA_LOCK = 0x6d70_0001; // 'mp' + 1: serialises schema setup across processes
/** `appendMany` calls that lost the race for their streams to a newer transaction (MP503). */
const MAX_APPEND_MANY_ATTEMPTS = 20;

export interface PostgresEventStoreOptions {
  /** LISTEN/NOTIFY wakes subscribers across processes. Off for PGlite, where it does not cross connections. */
  listen?: boolean;
  /** Fallback poll interval for subscriptions, in ms. */
  pollIntervalMs?: number;
}

interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: string;
  metadata: string;
  previous_hash: string;
  hash: string;
}

const SELECT_COLUMNS = `global_position::text, transaction_id::text, stream_id, stream_revision::text,
  event_id::text, event_type, data::text, metadata::text,
  encode(previous_hash, 'hex') AS previous_hash, encode(hash, 'hex') AS hash`;

/** Events appended before the log's planner statistics are refreshed; doubles each time. */
const ANALYZE_AFTER_EVENTS = 10_000;

/** The PostgreSQL adapter; also serves embedded PGlite (over `PgliteWireServer`) with the same SQL. */
export class PostgresEventStore implements EventStore {
  private readonly wake = new WakeSignal();
  private listener?: pg.Client;
  private notifying = false;
  /** Topics of the appends made while a NOTIFY was in flight: sent together after it. */
  private pendingTopics?: WakeTopics;
  private readonly pollIntervalMs: number;
  /** Events this process appended since it last refreshed the log's statistics, and the next mark. */
  private readonly growth = { since: 0, threshold: ANALYZE_AFTER_EVENTS };

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /** Creates the schema if needed and starts listening for appends from other processes. */
  static async open(
    pool: pg.Pool,
    options: PostgresEventStoreOptions = {},
  ): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(pool, options);
    await store.migrate();
    if (options.listen) await store.startListening();
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(EVENT_STORE_SCHEMA_SQL);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async startListening(): Promise<void> {
    const client = new pg.Client(this.pool.options);
    client.on('notification', (message) => this.wake.notify(parseWakeTopics(message.payload)));
    client.on('error', () => {
      // The poll fallback keeps subscribers going; drop the broken listener.
      this.listener = undefined;
    });
    await client.connect();
    await client.query('LISTEN mp_events');
    this.listener = client;
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateAppend(streamId, events, expected);
    const now = new Date().toISOString();
    const serialized = events.map((event) => serializeEvent(event, now));
    const ids = serialized.map((e) => e.eventId);
    const types = serialized.map((e) => e.type);
    // One JSON array per column: no array-literal escaping, and `json` keeps each element verbatim.
    const data = `[${serialized.map((e) => e.dataText).join(',')}]`;
    const metadata = `[${serialized.map((e) => e.metadataText).join(',')}]`;
    const digests = Buffer.concat(serialized.map((e) => eventContentDigest({ ...e, streamId })));
    try {
      const { rows } = await this.pool.query<{
        next_revision: string;
        commit_position: string;
        prepare_position: string;
      }>(
        `SELECT next_revision::text, commit_position::text, prepare_position::text
           FROM mp_append($1, $2, $3::uuid[], $4::text[], $5::json, $6::json, $7::bytea)`,
        [streamId, expected.toString(), ids, types, data, metadata, digests],
      );
      const row = rows[0]!;
      this.announce(wakeTopics([streamId], types));
      this.analyzeWhenGrown(ids.length);
      return {
        nextExpectedRevision: BigInt(row.next_revision),
        position: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
      };
    } catch (error) {
      throw this.translate(error, streamId, expected);
    }
  }

  /**
   * One round trip and one transaction for the whole call (`mp_append_many`): all or nothing.
   * Stream rows are locked in stream-id order, so concurrent bulk writers cannot deadlock.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (requests.length === 0) return [];
    const prepared = prepareAppendMany(requests, new Date().toISOString());
    const streams: string[] = [];
    const expected: string[] = [];
    const requestOf: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    const digests: Buffer[] = [];
    prepared.forEach((request, r) => {
      streams.push(request.streamId);
      expected.push(request.expected.toString());
      for (const event of request.events) {
        requestOf.push(r + 1);
        ids.push(event.eventId);
        types.push(event.type);
        data.push(event.dataText);
        metadata.push(event.metadataText);
        digests.push(eventContentDigest({ ...event, streamId: request.streamId }));
      }
    });
    const params = [
      streams,
      expected,
      requestOf,
      ids,
      types,
      `[${data.join(',')}]`,
      `[${metadata.join(',')}]`,
      Buffer.concat(digests),
    ];
    let rows: Array<{ next_revision: string; commit_position: string; prepare_position: string }>;
    for (let attempt = 1; ; attempt++) {
      try {
        ({ rows } = await this.pool.query(
          `SELECT next_revision::text, commit_position::text, prepare_position::text
             FROM mp_append_many($1::text[], $2::text[], $3::int4[], $4::uuid[], $5::text[],
                                 $6::json, $7::json, $8::bytea)`,
          params,
        ));
        break;
      } catch (error) {
        const { code, hint } = (error ?? {}) as { code?: string; hint?: string };
        // MP503: a newer transaction wrote one of the streams while this one waited for its lock
        // (see mp_append_many); nothing was written, a new transaction orders after it.
        if (code === 'MP503' && attempt < MAX_APPEND_MANY_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
          continue;
        }
        if (code === 'MP503') {
          throw new EventStoreError(
            'STORE_UNAVAILABLE',
            `appendMany kept losing the race for its streams (${attempt} attempts): ${String(error)}`,
          );
        }
        const failed = hint && /^\d+$/.test(hint) ? prepared[Number(hint) - 1] : undefined;
        throw this.translate(error, failed?.streamId ?? '', failed?.expected ?? 'any');
      }
    }
    this.announce(wakeTopics(streams, types));
    this.analyzeWhenGrown(ids.length);
    // The function returns one row per request, in request order.
    return rows.map((row) => ({
      nextExpectedRevision: BigInt(row.next_revision),
      position: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
    }));
  }

  /** Wakes this process's subscribers at once and, by NOTIFY, those of other processes. */
  private announce(topics: WakeTopics): void {
    this.wake.notify(topics);
    this.notifyOtherProcesses(topics);
  }

  /**
   * Wakes subscribers in other processes. Sent after the append, in its own statement: a NOTIFY
   * inside the append's transaction holds a global lock until the commit is on disk, which would
   * make concurrent appends commit one at a time. At most one in flight; bursts coalesce, their
   * topics merged. The payload names the categories and event types appended (see
   * `formatWakeTopics`), so the other processes' projections that handle none of them stay asleep.
   */
  private notifyOtherProcesses(topics: WakeTopics): void {
    if (!this.options.listen) return;
    if (this.notifying) {
      this.pendingTopics = mergeWakeTopics(this.pendingTopics, topics);
      return;
    }
    this.notifying = true;
    void this.pool
      .query(`SELECT pg_notify('mp_events', $1)`, [formatWakeTopics(topics)])
      .catch(() => undefined) // the poll fallback covers a lost wake-up
      .finally(() => {
        this.notifying = false;
        const pending = this.pendingTopics;
        this.pendingTopics = undefined;
        if (pending) this.notifyOtherProcesses(pending);
      });
  }

  private translate(error: unknown, streamId: string, expected: ExpectedRevision): unknown {
    if (!(error instanceof Error) || !('code' in error)) return error;
    const { code, detail } = error as Error & { code?: string; detail?: string };
    if (code === 'MP409') {
      const actual = BigInt(detail ?? '-1');
      return new WrongExpectedRevisionError(
        streamId,
        expected.toString(),
        actual < 0n ? 'no_stream' : actual,
      );
    }
    if (code === 'MP422') return new EventStoreError('IDEMPOTENCY_MISMATCH', error.message);
    if (code === '23505') {
      return new EventStoreError(
        'IDEMPOTENCY_MISMATCH',
        'An event id is already stored in another stream',
      );
    }
    if (code === '22P02' || code === '22023')
      return new EventStoreError('INVALID_EVENT', error.message);
    return error;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${SELECT_COLUMNS} FROM mp_events
        WHERE stream_id = $1 AND stream_revision >= $2
        ORDER BY mp_events.stream_revision LIMIT $3`,
      [streamId, (options.fromRevision ?? 0n).toString(), options.maxCount ?? null],
    );
    return rows.map(toRecorded);
  }

  /**
   * Refreshes the planner statistics of the log as this process grows it (after 10k, 20k, 40k…
   * events), in the background. An import or a launch appends far faster than autovacuum analyses
   * (and PGlite never does): with the statistics of an empty table, `readStreams`' `= ANY($1)`
   * turns into full scans of the log, slower with every event.
   */
  private analyzeWhenGrown(appended: number): void {
    this.growth.since += appended;
    if (this.growth.since < this.growth.threshold) return;
    this.growth.since = 0;
    this.growth.threshold *= 2;
    this.pool.query('ANALYZE mp_events, mp_streams').catch(() => undefined);
  }

  async readStreams(streamIds: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    const result = new Map<string, RecordedEvent[]>(streamIds.map((id) => [id, []]));
    if (result.size === 0) return result;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${SELECT_COLUMNS} FROM mp_events
        WHERE stream_id = ANY ($1::text[])
        ORDER BY mp_events.stream_id, mp_events.stream_revision`,
      [[...result.keys()]],
    );
    for (const row of rows) result.get(row.stream_id)!.push(toRecorded(row));
    return result;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.readAllRows(options.from, options.filter, options.maxCount ?? 1000);
    return rows.map(toRecorded);
  }

  private async readAllRows(
    from: Position | undefined,
    filter: EventFilter | undefined,
    limit: number,
  ): Promise<EventRow[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${SELECT_COLUMNS}
         FROM mp_read_all($1::xid8, $2::bigint, $3::int, $4::text[], $5::text[]) AS mp_events
        ORDER BY mp_events.transaction_id, mp_events.global_position`,
      [
        (from?.commit ?? 0n).toString(),
        (from?.prepare ?? 0n).toString(),
        limit,
        filter?.categories?.length ? filter.categories : null,
        filter?.eventTypes?.length ? filter.eventTypes : null,
      ],
    );
    return rows;
  }

  async *subscribeBatches(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent[]> {
    const batchSize = options.batchSize ?? 1000;
    const { signal } = options;
    let from = options.from;
    let quickRetries = 0;
    while (!signal?.aborted) {
      const seen = this.wake.current;
      // A filtered subscription (a projection) sees only some events: when it finds none, it
      // moves on to the head read before, or every wake-up would walk again, from its last
      // matching event, everything appended since (a campaign's messages, for the tenants
      // projection). Nothing it handles is skipped: the head counts only transactions settled
      // before the read, and the read found no matching event up to it.
      const head = options.filter ? await this.headPosition() : undefined;
      const rows = await this.readAllRows(from, options.filter, batchSize);
      if (rows.length > 0) {
        const batch = rows.map(toRecorded);
        from = batch[batch.length - 1]!.position;
        quickRetries = 0;
        yield batch;
        continue;
      }
      if (head && (!from || comparePositions(head, from) > 0)) from = head;
      // Caught up. A signal that arrived since the read started may stand for a commit that an
      // older running transaction still hides: retry soon a few times, then rest until woken.
      if (this.wake.concerns(seen, options.filter) && quickRetries < 20) {
        quickRetries++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** quickRetries, 50)));
        continue;
      }
      quickRetries = 0;
      await this.restUntilConcerned(seen, options.filter, signal);
    }
  }

  /**
   * Waits for a signal after `seen` that may be for `filter` (appends of its categories and types,
   * or of unknown ones), or for the poll interval. Signals for other events are slept through:
   * nothing this subscription reads can have arrived with them.
   */
  private async restUntilConcerned(
    seen: number,
    filter: SubscribeOptions['filter'],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = Date.now() + this.pollIntervalMs;
    for (let heard = seen; ; heard = this.wake.current) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return;
      await this.wake.wait(heard, left, signal);
      if (this.wake.concerns(seen, filter)) return;
    }
  }

  async lastCommittedPosition(): Promise<Position | undefined> {
    const { rows } = await this.pool.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position::text FROM mp_events
        ORDER BY mp_events.transaction_id DESC, mp_events.global_position DESC LIMIT 1`,
    );
    const row = rows[0];
    return row
      ? { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) }
      : undefined;
  }

  async headPosition(): Promise<Position | undefined> {
    const { rows } = await this.pool.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position::text FROM mp_events
        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY mp_events.transaction_id DESC, mp_events.global_position DESC LIMIT 1`,
    );
    const row = rows[0];
    return row
      ? { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) }
      : undefined;
  }

  /** See `verifyPostgresChain`: hash chains, order, stream heads and log seals. */
  verifyChain(options: VerifyChainOptions = {}): Promise<ChainVerification> {
    return verifyPostgresChain(this.pool, options);
  }

  async close(): Promise<void> {
    this.wake.notify();
    if (this.listener) {
      const listener = this.listener;
      this.listener = undefined;
      await listener.end().catch(() => undefined);
    }
  }
}

const toRecorded = (row: EventRow): RecordedEvent => {
  const metadata = JSON.parse(row.metadata) as RecordedEvent['metadata'];
  return {
    eventId: row.event_id,
    type: row.event_type,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
    data: JSON.parse(row.data) as unknown,
    metadata,
    hash: row.hash,
    previousHash: row.previous_hash,
  };
};
