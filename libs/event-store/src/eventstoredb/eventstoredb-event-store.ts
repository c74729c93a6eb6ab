import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Direction,
  type Filter,
  type JSONType,
  type ReadPosition,
  type ReadRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';

import { EventStoreError, WrongExpectedRevisionError } from '../event-store.errors.js';
import {
  type AppendRequest,
  type AppendResult,
  type BrokenLink,
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
  categoryOf,
  comparePositions,
} from '../event-store.port.js';
import { GENESIS_HASH, eventHash } from '../hash-chain.js';
import {
  CLOCK_SKEW_TOLERANCE_MS,
  ChainWalker,
  type WalkedEvent,
  brokenAt,
  metadataString,
  recordedTimeOf,
} from '../chain-walker.js';
import { prepareAppendMany, serializeEvent, validateAppend } from '../prepare-append.js';

/*
 * The EventStoreDB adapter of the event store port, on the official gRPC client.
 *
 * Tamper evidence. EventStoreDB has no server-side code we can hook, so the per-stream hash
 * chain is computed here and travels inside each event's custom metadata:
 *
 *   dataText     = JSON.stringify(data)                                      (stored as the data bytes)
 *   metadataText = JSON.stringify({ schemaVersion: 1, ...metadata, timestamp })   (same JSON as the SQL adapter)
 *   hash         = eventHash({ previousHash, eventId, streamId, revision, type, dataText, metadataText })
 *   stored metadata bytes = UTF-8 of metadataText with `,"previousHash":"<64 hex>","hash":"<64 hex>"`
 *                           inserted before its closing `}`, i.e. JSON.stringify({ ...metadata, previousHash, hash })
 *
 * So the hash covers exactly the same inputs as in the SQL adapters (`mp_event_hash`): the data
 * bytes as stored and the metadata bytes as stored minus the two chain fields, which come last.
 * Every text is `JSON.stringify` output of a plain JSON value, which re-serialises to the same
 * bytes after `JSON.parse`; that is what lets a verifier rebuild dataText and metadataText from
 * what the client hands back (it parses JSON data and metadata and never exposes the raw bytes).
 * `previousHash` of a stream's first event is GENESIS_HASH (64 zeros).
 *
 * Append protocol: read the stream's head (to learn its revision and hash), check idempotency
 * and the caller's expectation, then append with the head's exact revision as EventStoreDB's
 * expected revision, so no event can slip in between the read and the write. When another writer
 * wins that race, the whole decision is taken again from a fresh read: an `any`/`stream_exists`
 * append retries, a concrete expectation ends in WrongExpectedRevisionError (or in the stored
 * result when the winner was this very batch).
 *
 * Requires EventStoreDB 22.6 or later (log positions on stream reads) and a user allowed to read
 * `$all` in the connection string (readAll, subscriptions, headPosition, verifyChain).
 */

const HASH_HEX = /^[0-9a-f]{64}$/;
/** Metadata keys reserved for the hash chain. */
const CHAIN_KEYS = ['previousHash', 'hash'] as const;
/**
 * With `any`/`stream_exists` the place where a repeated batch would sit is unknown: look for its
 * first event id among this many newest events of the stream.
 */
const IDEMPOTENCY_WINDOW = 32;
/** Attempts for an `any`/`stream_exists` append that keeps losing the race for the head. */
const MAX_APPEND_ATTEMPTS = 10;
/** Stream reads in flight at once for `readStreams`. */
const READ_STREAMS_CONCURRENCY = 16;

/** What the client hands back for one stored event (JSON or binary), reduced to what we use. */
interface StoredEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  created: Date;
  position?: { commit: bigint; prepare: bigint };
}

interface StoredEventWithPosition extends StoredEvent {
  position: { commit: bigint; prepare: bigint };
}

/** The chain fields of one stored event, and its metadata without them. */
interface StoredChain {
  previousHash: Buffer;
  hash: Buffer;
  metadata: Record<string, unknown>;
}

interface PreparedEvent {
  eventId: string;
  type: string;
  /** The value handed to the client; it serialises it to exactly `dataText`. */
  data: unknown;
  dataText: string;
  /** Parsed `metadataText`: the chain fields are appended to a copy of it. */
  metadata: Record<string, unknown>;
  metadataText: string;
}

const noop = (): void => undefined;

export class EventStoreDbEventStore implements EventStore {
  private closed = false;
  /** One controller per running subscription: `close()` ends them all. */
  private readonly subscriptions = new Set<AbortController>();

  private constructor(private readonly client: EventStoreDBClient) {}

  /** Connects and checks that the server answers and `$all` is readable. */
  static async open(connectionString: string): Promise<EventStoreDbEventStore> {
    const client = EventStoreDBClient.connectionString(connectionString);
    const store = new EventStoreDbEventStore(client);
    try {
      await store.readAllPage(END, 1, BACKWARDS);
    } catch (error) {
      await client.dispose().catch(noop);
      throw error;
    }
    return store;
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateAppend(streamId, events, expected);
    const now = new Date().toISOString();
    const prepared = events.map((event) => prepare(event, now));
    const placeKnown = expected === 'no_stream' || typeof expected === 'bigint';

    for (let attempt = 1; ; attempt++) {
      // Newest first. A concrete expectation names the place of a repeated batch, so the head is enough.
      const tail = await this.readStreamEvents(streamId, {
        fromRevision: END,
        direction: BACKWARDS,
        maxCount: placeKnown ? 1 : IDEMPOTENCY_WINDOW,
      });
      const head = tail[0];

      const repeated = await this.findRepeat(streamId, prepared, expected, tail);
      if (repeated) return repeated;

      const actual = head ? head.revision : 'no_stream';
      if (
        (expected === 'no_stream' && head) ||
        (expected === 'stream_exists' && !head) ||
        (typeof expected === 'bigint' && expected !== head?.revision)
      ) {
        throw new WrongExpectedRevisionError(streamId, expected.toString(), actual);
      }

      let previousHash: Buffer = GENESIS_HASH;
      if (head) {
        const chain = readChain(head);
        if (!chain) {
          throw new EventStoreError(
            'INVALID_EVENT',
            `Stream ${streamId}: its last event (revision ${head.revision}) carries no hash chain; ` +
              'it was not written through this store, so the chain cannot be extended',
          );
        }
        previousHash = chain.hash;
      }
      const firstRevision = (head?.revision ?? -1n) + 1n;
      const proposed = prepared.map((event, i) => {
        const hash = eventHash({
          previousHash,
          eventId: event.eventId,
          streamId,
          revision: firstRevision + BigInt(i),
          type: event.type,
          dataText: event.dataText,
          metadataText: event.metadataText,
        });
        const metadata = {
          ...event.metadata,
          previousHash: previousHash.toString('hex'),
          hash: hash.toString('hex'),
        };
        previousHash = hash;
        return jsonEvent({
          id: event.eventId,
          type: event.type,
          data: event.data as JSONType,
          metadata,
        });
      });

      let conflict: WrongExpectedVersionError | undefined;
      try {
        const result = await this.client.appendToStream(streamId, proposed, {
          expectedRevision: head ? head.revision : NO_STREAM,
        });
        if (result.success) {
          // The append response's position is the transaction's, not necessarily the last
          // event's: read the last event back for the position a reader will see.
          const [last] = await this.readStreamEvents(streamId, {
            fromRevision: result.nextExpectedRevision,
            maxCount: 1,
          });
          const position = last?.position ?? result.position;
          if (!position) throw missingPosition();
          return {
            nextExpectedRevision: result.nextExpectedRevision,
            position: copyPosition(position),
          };
        }
        // Only with `throwOnAppendFailure=false` in the connection string.
        conflict = new WrongExpectedVersionError(undefined, {
          streamName: streamId,
          expected: head ? head.revision : NO_STREAM,
          current: result.nextExpectedRevision < 0n ? NO_STREAM : result.nextExpectedRevision,
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw translate(error);
        conflict = error;
      }

      // Another writer moved the head between our read and our write. Decide again from a fresh
      // read: it retries `any`/`stream_exists`, and turns a concrete expectation into a typed
      // conflict (or into the stored result, when the winner was this very batch).
      if (attempt >= MAX_APPEND_ATTEMPTS) {
        const current = conflict.actualVersion;
        throw new WrongExpectedRevisionError(
          streamId,
          expected.toString(),
          typeof current === 'bigint' ? current : 'no_stream',
        );
      }
      if (!placeKnown) await delay(Math.random() * 5 * attempt);
    }
  }

  /**
   * EventStoreDB has no transaction across streams: the requests are appended one after the
   * other, each atomic on its own. Everything is checked before the first write, so invalid input
   * writes nothing; a wrong expected revision stops the call with the requests before it written.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    const now = new Date().toISOString();
    prepareAppendMany(requests, now);
    for (const request of requests) for (const event of request.events) prepare(event, now);
    const results: AppendResult[] = [];
    for (const request of requests) {
      results.push(
        await this.append(request.streamId, request.events, {
          expectedRevision: request.expectedRevision ?? 'any',
        }),
      );
    }
    return results;
  }

  /**
   * Idempotent re-append: when the batch's first event id is already stored in this stream (at
   * the place the expectation names, or among the newest events for `any`/`stream_exists`),
   * the whole batch must be stored there and the first result is returned; writes nothing.
   * Mirrors `mp_append`, except that the lookup is limited to this stream (see IDEMPOTENCY_WINDOW).
   */
  private async findRepeat(
    streamId: string,
    prepared: readonly PreparedEvent[],
    expected: ExpectedRevision,
    tail: readonly StoredEvent[],
  ): Promise<AppendResult | undefined> {
    const head = tail[0];
    if (!head) return undefined;
    const firstId = prepared[0]!.eventId;
    const count = prepared.length;

    let start = tail.find((event) => event.id.toLowerCase() === firstId)?.revision;
    if (start === undefined && expected === 'no_stream') start = 0n;
    if (start === undefined && typeof expected === 'bigint' && expected < head.revision)
      start = expected + 1n;
    if (start === undefined) return undefined;

    const from = start;
    const stored =
      tail[tail.length - 1]!.revision <= from
        ? tail
            .filter((event) => event.revision >= from)
            .reverse()
            .slice(0, count)
        : await this.readStreamEvents(streamId, { fromRevision: from, maxCount: count });
    const first = stored[0];
    if (!first || first.revision !== from || first.id.toLowerCase() !== firstId) return undefined;

    const matches =
      stored.length === count &&
      stored.every(
        (event, i) =>
          event.revision === from + BigInt(i) && event.id.toLowerCase() === prepared[i]!.eventId,
      );
    if (!matches) {
      throw new EventStoreError(
        'IDEMPOTENCY_MISMATCH',
        'event ids partly stored: not an idempotent re-append',
      );
    }
    if (
      (typeof expected === 'bigint' && expected !== from - 1n) ||
      (expected === 'no_stream' && from !== 0n)
    ) {
      throw new WrongExpectedRevisionError(streamId, expected.toString(), head.revision);
    }
    const last = stored[count - 1]!;
    return { nextExpectedRevision: last.revision, position: positionOf(last) };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const fromRevision = options.fromRevision ?? 0n;
    const events = await this.readStreamEvents(streamId, {
      fromRevision: fromRevision > 0n ? fromRevision : START,
      maxCount: options.maxCount,
    });
    return events.map(toRecorded);
  }

  async readStreams(streamIds: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    const ids = [...new Set(streamIds)];
    const result = new Map<string, RecordedEvent[]>(ids.map((id) => [id, []]));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        result.set(id, await this.readStream(id));
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(READ_STREAMS_CONCURRENCY, ids.length) }, worker),
    );
    return result;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? 1000;
    if (maxCount <= 0) return [];
    const pageSize = Math.min(Math.max(maxCount + 64, 256), 4096);
    const result: RecordedEvent[] = [];
    for await (const event of this.scanAll(options.from, pageSize)) {
      if (!matchesFilter(event, options.filter)) continue;
      result.push(toRecorded(event));
      if (result.length >= maxCount) break;
    }
    return result;
  }

  /**
   * Non-system events of `$all` strictly after `from`, in log order, read page by page. The
   * client's readAll has no server-side filter, so callers filter here.
   */
  private async *scanAll(
    from: Position | undefined,
    pageSize: number,
  ): AsyncGenerator<StoredEventWithPosition> {
    let cursor = from;
    for (;;) {
      const page = await this.readAllPage(cursor ?? START, pageSize, FORWARDS);
      let progressed = false;
      for (const event of page) {
        // Forward reads start at `from` inclusive: skip anything not strictly after the cursor.
        if (cursor && comparePositions(event.position, cursor) <= 0) continue;
        cursor = copyPosition(event.position);
        progressed = true;
        if (!isSystemEvent(event)) yield event;
      }
      if (page.length < pageSize || !progressed) return;
    }
  }

  async *subscribeBatches(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent[]> {
    const batchSize = Math.max(1, options.batchSize ?? 1000);
    const { filter, signal } = options;
    if (signal?.aborted || this.closed) return;

    let from = options.from;
    const subscription = this.client.subscribeToAll({
      fromPosition: from ? copyPosition(from) : START,
      resolveLinkTos: false,
      filter: serverFilter(filter),
    });
    // Errors reach the consumer through the iterator; this keeps a late one from crashing the process.
    subscription.on('error', noop);
    const iterator = subscription[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<AllStreamResolvedEvent>> | undefined;

    // Stopping (the caller's signal or `close()`) cancels the gRPC call and destroys the stream,
    // which settles a read still pending: no promise is left waiting for events that never come.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    stop.signal.addEventListener(
      'abort',
      () => {
        void subscription.unsubscribe().catch(noop);
        subscription.destroy();
      },
      { once: true },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    this.subscriptions.add(stop);

    /** The event to deliver, or undefined for one the filter, the checkpoint or `$` rules drop. */
    const accept = (resolved: AllStreamResolvedEvent): RecordedEvent | undefined => {
      const event = resolved.event as StoredEventWithPosition | undefined;
      if (!event) return undefined;
      if (from && comparePositions(event.position, from) <= 0) return undefined;
      from = copyPosition(event.position);
      if (isSystemEvent(event) || !matchesFilter(event, filter)) return undefined;
      return toRecorded(event);
    };

    try {
      for (;;) {
        const batch: RecordedEvent[] = [];
        let ended = false;
        let failure: { error: unknown } | undefined;
        // Wait as long as it takes for the first event of a batch…
        while (batch.length === 0) {
          pending ??= iterator.next();
          let result: IteratorResult<AllStreamResolvedEvent>;
          try {
            result = await pending;
          } catch (error) {
            if (stop.signal.aborted) return;
            throw error;
          } finally {
            pending = undefined;
          }
          if (result.done || stop.signal.aborted) return;
          const event = accept(result.value);
          if (event) batch.push(event);
        }
        // …then take only what has already arrived, up to batchSize.
        while (batch.length < batchSize) {
          pending ??= iterator.next();
          let result: IteratorResult<AllStreamResolvedEvent> | typeof IDLE;
          try {
            result = await Promise.race([pending, nextMacrotask()]);
          } catch (error) {
            pending = undefined;
            if (!stop.signal.aborted) failure = { error };
            break;
          }
          if (result === IDLE) break; // keep `pending` for the next batch
          pending = undefined;
          if (result.done) {
            ended = true;
            break;
          }
          const event = accept(result.value);
          if (event) batch.push(event);
        }
        if (stop.signal.aborted) return;
        yield batch;
        if (failure) throw failure.error;
        if (ended || stop.signal.aborted) return;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.subscriptions.delete(stop);
      stop.abort(); // cancels and destroys the subscription if still open
      pending?.catch(noop);
      void iterator.return?.(undefined).catch(noop);
    }
  }

  /** EventStoreDB shows every committed event at once: the same as `headPosition`. */
  lastCommittedPosition(): Promise<Position | undefined> {
    return this.headPosition();
  }

  async headPosition(): Promise<Position | undefined> {
    const pageSize = 64;
    let cursor: Position | undefined;
    for (;;) {
      const page = await this.readAllPage(cursor ?? END, pageSize, BACKWARDS);
      let progressed = false;
      for (const event of page) {
        if (cursor && comparePositions(event.position, cursor) >= 0) continue;
        cursor = copyPosition(event.position);
        progressed = true;
        if (!isSystemEvent(event)) return cursor;
      }
      if (page.length < pageSize || !progressed) return undefined;
    }
  }

  /**
   * Hash chains and order only: EventStoreDB keeps no stream head table or log seals here, and a
   * whole deleted stream does not show. Tenant and time filters apply to the events read.
   */
  async verifyChain(options: VerifyChainOptions = {}): Promise<ChainVerification> {
    const walker = new ChainWalker();
    const since = options.since ? options.since.getTime() - CLOCK_SKEW_TOLERANCE_MS : undefined;
    const until = options.until ? options.until.getTime() + CLOCK_SKEW_TOLERANCE_MS : undefined;
    let complete = true;
    const done = (firstBroken?: BrokenLink): ChainVerification => ({
      ok: !firstBroken,
      checked: walker.checked,
      ...(firstBroken ? { firstBroken } : {}),
      streams: walker.heads.size,
      complete,
      checks: ['chain', 'order'],
    });
    const check = async (
      event: StoredEvent,
      position?: Position,
    ): Promise<BrokenLink | undefined> => {
      const chain = readChain(event);
      const metadataText = JSON.stringify(chain?.metadata ?? {});
      const time = recordedTimeOf(metadataText);
      if (since !== undefined && time < since) return undefined;
      if (options.tenantId && metadataString(metadataText, 'tenantId') !== options.tenantId) {
        return undefined;
      }
      const walked: WalkedEvent = {
        streamId: event.streamId,
        revision: Number(event.revision),
        eventId: event.id,
        type: event.type,
        dataText: dataTextOf(event),
        metadataText,
        previousHash: chain?.previousHash.toString('hex') ?? '',
        hash: chain?.hash.toString('hex') ?? '',
        commit: position ? position.commit.toString() : '',
        prepare: position ? position.prepare.toString() : '',
      };
      if (!chain) {
        walker.checked++;
        return brokenAt(walked, 'NO_CHAIN', 'the event carries no hash chain');
      }
      for (const wanted of walker.unseenStreams([walked])) {
        const head = await this.storedHead(wanted.streamId, BigInt(wanted.revision));
        if (head.hash) {
          walker.seed(wanted.streamId, {
            revision: wanted.revision,
            hash: head.hash.toString('hex'),
            timeText: '',
            commit: '',
            prepare: '',
          });
        }
      }
      return walker.check(walked);
    };
    const stop = (): boolean => {
      if (options.maxEvents !== undefined && walker.checked >= options.maxEvents) {
        complete = false;
        return true;
      }
      return false;
    };

    if (options.streamId) {
      let fromRevision: bigint = 0n;
      const pageSize = 1000;
      for (;;) {
        const page = await this.readStreamEvents(options.streamId, {
          fromRevision: fromRevision === 0n ? START : fromRevision,
          maxCount: pageSize,
        });
        for (const event of page) {
          if (stop()) return done();
          const firstBroken = await check(event);
          if (firstBroken) return done(firstBroken);
          fromRevision = event.revision + 1n;
        }
        options.onProgress?.({ checked: walker.checked });
        if (page.length < pageSize) return done();
      }
    }

    for await (const event of this.scanAll(options.from, 1000)) {
      if (options.to && comparePositions(event.position, options.to) > 0) break;
      if (until !== undefined) {
        const chain = readChain(event);
        if (chain && recordedTimeOf(JSON.stringify(chain.metadata)) > until) break;
      }
      if (stop()) break;
      const firstBroken = await check(event, event.position);
      if (firstBroken) return done(firstBroken);
      if (walker.checked % 1000 === 0) options.onProgress?.({ checked: walker.checked });
    }
    return done();
  }

  /** The stored hash of one earlier event, trusted as the link target like the SQL adapter does. */
  private async storedHead(
    streamId: string,
    revision: bigint,
  ): Promise<{ revision: bigint; hash: Buffer | undefined }> {
    const [event] = await this.readStreamEvents(streamId, { fromRevision: revision, maxCount: 1 });
    if (!event || event.revision !== revision) return { revision: -2n, hash: undefined };
    return { revision, hash: readChain(event)?.hash };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.subscriptions) stop.abort();
    await this.client.dispose();
  }

  /** Events of one stream; a stream that does not exist reads as empty. */
  private async readStreamEvents(
    streamId: string,
    options: { fromRevision: ReadRevision; maxCount?: number | undefined; direction?: Direction },
  ): Promise<StoredEvent[]> {
    const read = this.client.readStream(streamId, {
      fromRevision: options.fromRevision,
      direction: options.direction ?? FORWARDS,
      resolveLinkTos: false,
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    return collect(
      read,
      (resolved: ResolvedEvent) => resolved.event as StoredEvent | undefined,
    ).catch((error: unknown) => {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    });
  }

  /** One page of `$all`, system events included (callers skip them). */
  private async readAllPage(
    fromPosition: ReadPosition,
    maxCount: number,
    direction: Direction,
  ): Promise<StoredEventWithPosition[]> {
    const read = this.client.readAll({ fromPosition, maxCount, direction, resolveLinkTos: false });
    return collect(
      read,
      (resolved: AllStreamResolvedEvent) => resolved.event as StoredEventWithPosition | undefined,
    );
  }
}

const IDLE = Symbol('idle');

/** Resolves after everything already buffered has been delivered through promise callbacks. */
const nextMacrotask = (): Promise<typeof IDLE> =>
  new Promise((resolve) => setImmediate(() => resolve(IDLE)));

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drains a finite client read into an array; cancels the gRPC call when it ends early. */
const collect = async <R, E>(
  read: AsyncIterable<R> & {
    cancel(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): unknown;
  },
  pick: (resolved: R) => E | undefined,
): Promise<E[]> => {
  read.on('error', noop); // errors reach us through the iterator
  const events: E[] = [];
  let completed = false;
  try {
    for await (const resolved of read) {
      const event = pick(resolved);
      if (event) events.push(event);
    }
    completed = true;
  } finally {
    if (!completed) void read.cancel().catch(noop);
  }
  return events;
};

const prepare = (event: EventToAppend, now: string): PreparedEvent => {
  for (const key of CHAIN_KEYS) {
    if (event.metadata && Object.prototype.hasOwnProperty.call(event.metadata, key)) {
      throw new EventStoreError(
        'INVALID_EVENT',
        `Metadata key "${key}" is reserved for the hash chain`,
      );
    }
  }
  const serialized = serializeEvent(event, now);
  // Normalise through parse so the client's own JSON.stringify reproduces the texts byte for byte.
  const data = JSON.parse(serialized.dataText) as unknown;
  const metadata = JSON.parse(serialized.metadataText) as Record<string, unknown>;
  return {
    eventId: serialized.eventId,
    type: serialized.type,
    data,
    dataText: JSON.stringify(data),
    metadata,
    metadataText: JSON.stringify(metadata),
  };
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value);

/** The chain fields of a stored event, or undefined when it was not written by this store. */
const readChain = (event: StoredEvent): StoredChain | undefined => {
  if (!isRecord(event.metadata)) return undefined;
  const { previousHash, hash, ...metadata } = event.metadata;
  if (typeof previousHash !== 'string' || !HASH_HEX.test(previousHash)) return undefined;
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) return undefined;
  return {
    previousHash: Buffer.from(previousHash, 'hex'),
    hash: Buffer.from(hash, 'hex'),
    metadata,
  };
};

const utf8 = (bytes: ArrayBufferView): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/** The data text as stored: re-serialised JSON, or the raw bytes of a binary event. */
const dataTextOf = (event: StoredEvent): string =>
  ArrayBuffer.isView(event.data) ? utf8(event.data) : (JSON.stringify(event.data) ?? '');

const isSystemEvent = (event: StoredEvent): boolean =>
  event.type.startsWith('$') || event.streamId.startsWith('$');

const matchesFilter = (event: StoredEvent, filter: EventFilter | undefined): boolean =>
  (!filter?.categories?.length || filter.categories.includes(categoryOf(event.streamId))) &&
  (!filter?.eventTypes?.length || filter.eventTypes.includes(event.type));

/** .NET regex escaping (the server evaluates the filter), a superset of the usual metacharacters. */
const escapeRegex = (text: string): string =>
  text.replace(/[\\^$.|?*+()[\]{}#\s-]/g, (c) => `\\${c}`);

/**
 * The server-side part of a filter. EventStoreDB takes one filter per subscription: event types
 * when given (usually the narrower), else categories; the rest is checked client-side. Without a
 * filter, system events are excluded on the server.
 */
const serverFilter = (filter: EventFilter | undefined): Filter => {
  if (filter?.eventTypes?.length) {
    return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  }
  if (filter?.categories?.length) {
    // A category is the stream id up to the first `-`, or the whole id when it has none.
    return streamNameFilter({
      regex: `^(?:${filter.categories.map(escapeRegex).join('|')})(?:-|$)`,
    });
  }
  return excludeSystemEvents();
};

const missingPosition = (): EventStoreError =>
  new EventStoreError(
    'STORE_UNAVAILABLE',
    'EventStoreDB returned an event without its log position: server 22.6 or later is required',
  );

const copyPosition = (position: { commit: bigint; prepare: bigint }): Position => ({
  commit: position.commit,
  prepare: position.prepare,
});

const positionOf = (event: StoredEvent): Position => {
  if (!event.position) throw missingPosition();
  return copyPosition(event.position);
};

const toRecorded = (event: StoredEvent): RecordedEvent => {
  const chain = readChain(event);
  const metadata: Record<string, unknown> = chain
    ? { ...chain.metadata }
    : isRecord(event.metadata)
      ? { ...event.metadata }
      : {};
  // Defaults only matter for events written around this store; ours always carry both.
  if (typeof metadata.schemaVersion !== 'number') metadata.schemaVersion = 1;
  if (typeof metadata.timestamp !== 'string') metadata.timestamp = event.created.toISOString();
  return {
    eventId: event.id.toLowerCase(),
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position: positionOf(event),
    data: ArrayBuffer.isView(event.data) ? parseBinary(event.data) : event.data,
    metadata: metadata as unknown as RecordedEvent['metadata'],
    hash: chain ? chain.hash.toString('hex') : '',
    previousHash: chain ? chain.previousHash.toString('hex') : '',
  };
};

const parseBinary = (bytes: ArrayBufferView): unknown => {
  try {
    return JSON.parse(utf8(bytes)) as unknown;
  } catch {
    return bytes;
  }
};

/** Client errors that mean the caller's input is at fault. */
const translate = (error: unknown): unknown => {
  if (error instanceof MaxAppendSizeExceededError || error instanceof InvalidArgumentError) {
    return new EventStoreError('INVALID_EVENT', error.message);
  }
  return error;
};
