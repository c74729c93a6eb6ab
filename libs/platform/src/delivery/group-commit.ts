import type { AppendRequest, EventStore, Position } from '#event-store';

/** Requests per group: one `appendMany`, one transaction, one WAL flush. */
export const DEFAULT_GROUP_MAX_REQUESTS = 50;

/** Longest a request waits for others before its group is written. */
export const DEFAULT_GROUP_MAX_DELAY_MS = 10;

export interface GroupCommitOptions {
  /** A group is written as soon as it holds this many requests. */
  maxRequests?: number;
  /** …or this long after its first request arrived, whichever comes first. */
  maxDelayMs?: number;
  /** Told when a group could not be written whole and its requests went one by one. */
  onGroupFailed?: (error: unknown, requests: number) => void;
}

/** One stream's append, and how to write it on its own if its group fails. */
export interface GroupedAppend {
  /** Carries its own expected revision (each request is checked like an `append`). */
  request: AppendRequest;
  /**
   * Writes this request alone, deciding again on the stream's current state (for delivery:
   * `CommandExecutor.handle` with the same command id, so a request already written is
   * recognised). Its result or error is what the caller gets.
   */
  alone: () => Promise<Position | undefined>;
}

interface Waiting {
  item: GroupedAppend;
  resolve: (position: Position | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for independent appends to different streams: requests queue up and are written
 * together with ONE `appendMany` (on the SQL adapters one transaction and one commit) when the
 * group holds `maxRequests` or `maxDelayMs` after its first request, whichever comes first, or at
 * `flush()`. Each caller awaits its own result: the position of its last event.
 *
 * A group is all or nothing on the SQL adapters, so one bad request (a stream another writer moved
 * on, `WrongExpectedRevisionError`) would fail the others with it: when a group fails, each of its
 * requests is written on its own through its `alone` function, and only the bad one fails.
 *
 * Nothing is durable before its group is written: a process that dies in between loses the
 * requests still waiting (at most `maxDelayMs` worth). Callers must tolerate that as they
 * tolerate dying just before an `append`.
 */
export class GroupCommitWriter {
  readonly #store: Pick<EventStore, 'appendMany'>;
  readonly #maxRequests: number;
  readonly #maxDelayMs: number;
  readonly #onGroupFailed?: (error: unknown, requests: number) => void;
  #waiting: Waiting[] = [];
  readonly #streams = new Set<string>();
  #timer?: NodeJS.Timeout;
  readonly #writing = new Set<Promise<void>>();
  /** The group being written for each stream: a later group for it waits (revision order). */
  readonly #writingStreams = new Map<string, Promise<void>>();
  /** Groups written with one `appendMany` (for tests and logs). */
  groups = 0;
  /** Groups that failed and were written request by request. */
  fallbacks = 0;

  constructor(store: Pick<EventStore, 'appendMany'>, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxRequests = Math.max(1, options.maxRequests ?? DEFAULT_GROUP_MAX_REQUESTS);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? DEFAULT_GROUP_MAX_DELAY_MS);
    this.#onGroupFailed = options.onGroupFailed;
  }

  /** Requests waiting for their group to be written. */
  get pending(): number {
    return this.#waiting.length;
  }

  /** Queues one append; resolves with its position once its group is written. */
  append(item: GroupedAppend): Promise<Position | undefined> {
    // A stream appears at most once per `appendMany`: a second request for it starts a new group.
    if (this.#streams.has(item.request.streamId)) this.#writeNow();
    return new Promise<Position | undefined>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#streams.add(item.request.streamId);
      if (this.#waiting.length >= this.#maxRequests) this.#writeNow();
      else this.#timer ??= setTimeout(() => this.#writeNow(), this.#maxDelayMs);
    });
  }

  /** Writes what is waiting now, and resolves once every group under way is written. */
  async flush(): Promise<void> {
    this.#writeNow();
    while (this.#writing.size > 0) await Promise.all([...this.#writing]);
  }

  #writeNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return;
    const group = this.#waiting;
    this.#waiting = [];
    this.#streams.clear();
    const streamIds = group.map((w) => w.item.request.streamId);
    // Groups go in parallel, except after a group still writing one of the same streams.
    const before = new Set(streamIds.flatMap((id) => this.#writingStreams.get(id) ?? []));
    const writing: Promise<void> = Promise.all(before)
      .then(() => this.#write(group))
      .finally(() => {
        this.#writing.delete(writing);
        for (const id of streamIds) {
          if (this.#writingStreams.get(id) === writing) this.#writingStreams.delete(id);
        }
      });
    for (const id of streamIds) this.#writingStreams.set(id, writing);
    this.#writing.add(writing);
  }

  /** Writes one group; never rejects (each caller gets its own result or error). */
  async #write(group: readonly Waiting[]): Promise<void> {
    let results;
    try {
      results = await this.#store.appendMany(group.map((w) => w.item.request));
    } catch (error) {
      this.fallbacks++;
      this.#onGroupFailed?.(error, group.length);
      await Promise.all(
        group.map(async (w) => {
          try {
            w.resolve(await w.item.alone());
          } catch (alone) {
            w.reject(alone);
          }
        }),
      );
      return;
    }
    this.groups++;
    group.forEach((w, i) => w.resolve(results[i]!.position));
  }
}
