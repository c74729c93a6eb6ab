/**
 * The event store port. Semantics follow EventStoreDB's so every adapter means the same thing:
 * revisions are 0-based (the revision of a stream's last event), `expectedRevision` guards every
 * append, and positions in the global log are totally ordered and gap-free for readers.
 */

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Who and why: travels with every event. Never holds personal data. */
export interface EventMetadata {
  /** Id of the command that produced the event (idempotency key of the command). */
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  tenantId?: string;
  /** Who: an API key id, `operator:cli`, `system:worker`. Never an email address. */
  actor?: string;
  schemaVersion?: number;
  /** Set by the store when omitted. ISO-8601. */
  timestamp?: string;
}

/** An event to append. `data` is JSON-serialisable; personal fields are already ciphertext here. */
export interface EventToAppend {
  eventId: string;
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

/**
 * A position in the global log. For the SQL adapters `commit` is the writing transaction's
 * xid8 and `prepare` the global sequence; for EventStoreDB they are its commit/prepare positions.
 * Ordering is lexicographic on (commit, prepare).
 */
export interface Position {
  commit: bigint;
  prepare: bigint;
}

export interface RecordedEvent {
  eventId: string;
  type: string;
  streamId: string;
  /** 0-based revision inside its stream. */
  revision: bigint;
  position: Position;
  data: unknown;
  metadata: EventMetadata & { schemaVersion: number; timestamp: string };
  /** Tamper-evidence chain: hash of this event, and of the previous event of the same stream. */
  hash: string;
  previousHash: string;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: bigint;
  /** Position of the last appended event in the global log. */
  position: Position;
}

/** One stream's share of an `appendMany` call. */
export interface AppendRequest {
  streamId: string;
  events: readonly EventToAppend[];
  /** As in `append`; defaults to `'any'`. */
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omit to read from the start. */
  from?: Position;
  maxCount?: number;
  filter?: EventFilter;
}

export interface EventFilter {
  /** Stream categories: the part of the stream id before the first `-`. */
  categories?: readonly string[];
  eventTypes?: readonly string[];
}

export interface SubscribeOptions {
  from?: Position;
  filter?: EventFilter;
  /** Maximum events per batch read from the log. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** Which checks a `verifyChain` run made (adapters report what they can). */
export type ChainCheck =
  /** Each event's hash matches its stored bytes and links to the previous event of its stream. */
  | 'chain'
  /** Revisions 0..n contiguous per stream, log positions increasing, recorded time monotone. */
  | 'order'
  /** Each stream's last event matches the stream head table (revision and hash). */
  | 'heads'
  /** Log seals (checkpoints of event counts and digests over the log order) match the log. */
  | 'seals';

/** Why a link is broken: one code per kind of finding, the text in `reason`. */
export type BrokenLinkCode =
  | 'HASH_MISMATCH'
  | 'CATEGORY_MISMATCH'
  | 'LINK_MISMATCH'
  | 'REVISION_GAP'
  | 'OUT_OF_ORDER'
  | 'TIME_BACKWARDS'
  | 'HEAD_MISMATCH'
  | 'EVENTS_MISSING'
  | 'EVENTS_AFTER_HEAD'
  | 'NO_HEAD'
  | 'SEAL_MISMATCH'
  | 'NO_CHAIN';

/** The first broken link. Stream and revision are absent when a seal names only a log range. */
export interface BrokenLink {
  streamId?: string;
  revision?: bigint;
  /** Log position of the event, or for a seal the end of the range it covers. */
  position?: Position;
  code: BrokenLinkCode;
  reason: string;
}

/**
 * A log seal: a checkpoint of the log written by an auditor's intact whole-log walk. It counts the
 * events up to `position` and chains a digest of their hashes in log order (in total and per
 * tenant), so deleting or inserting events before it, even a whole stream with its head, shows.
 * `hash` chains the seals; keep the newest one outside the database as an anchor.
 */
export interface LogSeal {
  sealId: number;
  position: Position;
  events: number;
  hash: string;
  sealedAt: string;
}

export interface VerifyProgress {
  /** Events checked so far. */
  checked: number;
  /** How far the walk is in the log, and where the log ends (global sequence numbers): what a
   * progress bar shows, also when only a part of the events (one tenant's) is checked. */
  position?: number;
  total?: number;
}

export interface VerifyChainOptions {
  /** Exclusive: events strictly after this position. */
  from?: Position;
  /** Inclusive: events up to this position. */
  to?: Position;
  /**
   * Recorded-time range (event metadata `timestamp`). The walk covers at least every event in
   * it: it starts a few minutes before `since` and stops a few minutes after `until`, so clock
   * skew between writers cannot hide an event at either end.
   */
  since?: Date;
  until?: Date;
  /** One stream only. */
  streamId?: string;
  /** One tenant's part of the log (metadata `tenantId`). */
  tenantId?: string;
  /** Stop after this many events (`complete: false` in the answer). */
  maxEvents?: number;
  /** After an intact walk of the whole log, record a new seal up to its last event. */
  seal?: boolean;
  /**
   * The hash of a seal kept outside the database (an earlier run printed it): the walk is broken
   * unless that seal is still among the log's seals. Shows seals removed from the end.
   */
  anchor?: string;
  onProgress?: (progress: VerifyProgress) => void;
}

/** What an auditor gets from checking the hash chain over a range of the log. */
export interface ChainVerification {
  ok: boolean;
  checked: number;
  /** The first event whose stored hash or link does not match, if any. */
  firstBroken?: BrokenLink;
  /** Streams whose events were checked. */
  streams?: number;
  /** False when `maxEvents` stopped the walk before the end of the range. */
  complete?: boolean;
  /** The checks this adapter made. */
  checks?: ChainCheck[];
  /** Seals compared with the log, the newest one found, and the one this run wrote. */
  seals?: { checked: number; latest?: LogSeal; written?: LogSeal };
}

export interface EventStore {
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;
  /**
   * Appends to many streams in one call, for bulk writers (imports): results in request order.
   * Each stream may appear at most once per call (`DUPLICATE_STREAM` otherwise) and every request
   * is checked like an `append` before anything is written. Each request keeps `append`'s
   * semantics: its own expected revision, and idempotency (a request whose events are already
   * stored at that place returns the first result and writes nothing).
   *
   * Atomicity differs by adapter. The SQL adapters (PostgreSQL, PGlite) write the whole call in
   * one round trip and one transaction, all or nothing: if any stream's expected revision is
   * wrong, nothing is written and a `WrongExpectedRevisionError` names that stream; the events
   * go into the log in request order. EventStoreDB has no transaction across streams: it appends
   * the requests one after the other, each stream atomic on its own, so a failure leaves the
   * requests before it written.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]>;
  /** Events of one stream in revision order. A stream that does not exist reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Every listed stream's events in revision order, keyed by stream id; a stream that does not
   * exist maps to `[]`. One query on the SQL adapters; parallel stream reads on EventStoreDB.
   */
  readStreams(streamIds: readonly string[]): Promise<Map<string, RecordedEvent[]>>;
  /** One page of the global log after `from`, in commit order, only what is safe to checkpoint. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up subscription that turns live; batches in log order. Ends when `signal` aborts. */
  subscribeBatches(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]>;
  /** The position of the newest event visible to readers, or undefined when the log is empty. */
  headPosition(): Promise<Position | undefined>;
  /**
   * The position of the newest committed event, visible to readers or not yet (a transaction
   * still open elsewhere hides later commits from them for a moment). What "everything written so
   * far" means when waiting for read models: `ProjectionRunner.waitFor` waits until it shows.
   */
  lastCommittedPosition(): Promise<Position | undefined>;
  /**
   * Recompute and check the hash chain of every event in the range, the order of the log and,
   * where the adapter keeps them, the stream heads and log seals. Stops at the first broken link.
   */
  verifyChain(options?: VerifyChainOptions): Promise<ChainVerification>;
  close(): Promise<void>;
}

export const comparePositions = (a: Position, b: Position): number =>
  a.commit === b.commit
    ? a.prepare === b.prepare
      ? 0
      : a.prepare < b.prepare
        ? -1
        : 1
    : a.commit < b.commit
      ? -1
      : 1;

export const formatPosition = (p: Position): string => `${p.commit}/${p.prepare}`;

export const parsePosition = (text: string): Position => {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new TypeError(`Not a log position: ${text}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
};

export const categoryOf = (streamId: string): string => {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
};

/** `for await (const event of subscribe(store, opts))`: one event at a time over the batches. */
export async function* subscribe(
  store: Pick<EventStore, 'subscribeBatches'>,
  options?: SubscribeOptions,
): AsyncGenerator<RecordedEvent> {
  for await (const batch of store.subscribeBatches(options)) yield* batch;
}
