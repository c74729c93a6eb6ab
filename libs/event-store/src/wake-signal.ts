import { categoryOf } from './event-store.port.js';

/**
 * What a wake-up announces: the categories and event types just appended, or nothing known (a
 * wake-up from another process without them, a poll, a close).
 */
export interface WakeTopics {
  categories: ReadonlySet<string>;
  types: ReadonlySet<string>;
}

/** What a waiter reads: a subscription's filter. Undefined or empty lists: everything. */
export interface WakeInterest {
  categories?: readonly string[];
  eventTypes?: readonly string[];
}

/** Wake-ups remembered with their topics; a waiter further behind counts as woken for anything. */
const HISTORY = 256;

/**
 * Wakes subscribers when new events may be readable. Signals coalesce: a waiter that arrives after
 * a signal it has not consumed yet returns at once, so no wake-up is ever lost between a read and
 * the next wait.
 *
 * A signal may say what was appended (`WakeTopics`), so a filtered subscription can tell, with
 * `concerns`, that nothing since its last read is for it and go back to waiting without asking
 * the database: one append wakes every projection, and most of them read nothing. The test is by
 * the union of the categories and of the types of the signals since: never a false "not for you".
 */
export class WakeSignal {
  private generation = 0;
  private waiters = new Set<() => void>();
  /** Topics of the last `HISTORY` signals, by generation modulo `HISTORY`; undefined: unknown. */
  private readonly topics: Array<WakeTopics | undefined> = new Array<WakeTopics | undefined>(
    HISTORY,
  );

  notify(topics?: WakeTopics): void {
    this.generation++;
    this.topics[this.generation % HISTORY] = topics;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get current(): number {
    return this.generation;
  }

  /**
   * True when a signal after `seen` may be for `interest`: one with unknown topics, one whose
   * categories and types meet the interest's, or one too old to be remembered.
   */
  concerns(seen: number, interest: WakeInterest | undefined): boolean {
    if (this.generation === seen) return false;
    if (!interest || this.generation - seen > HISTORY) return true;
    const { categories, eventTypes } = interest;
    for (let g = seen + 1; g <= this.generation; g++) {
      const topics = this.topics[g % HISTORY];
      if (!topics) return true;
      const category = !categories?.length || categories.some((c) => topics.categories.has(c));
      const type = !eventTypes?.length || eventTypes.some((t) => topics.types.has(t));
      if (category && type) return true;
    }
    return false;
  }

  /** Resolves when notified after `seen`, when `timeoutMs` passes, or when `signal` aborts. */
  wait(seen: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.generation !== seen || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** The topics of an append: its streams' categories and its event types. */
export const wakeTopics = (streamIds: Iterable<string>, types: Iterable<string>): WakeTopics => {
  const categories = new Set<string>();
  for (const id of streamIds) categories.add(categoryOf(id));
  return { categories, types: new Set(types) };
};

export const mergeWakeTopics = (a: WakeTopics | undefined, b: WakeTopics): WakeTopics =>
  a
    ? {
        categories: new Set([...a.categories, ...b.categories]),
        types: new Set([...a.types, ...b.types]),
      }
    : b;

/** NOTIFY payloads stop short of PostgreSQL's 8000 bytes; a longer list is sent as "unknown". */
const MAX_PAYLOAD = 7000;

/** The NOTIFY payload for `topics`: JSON `{"c": [...], "t": [...]}`, or '' (unknown) if too long. */
export const formatWakeTopics = (topics: WakeTopics): string => {
  const text = JSON.stringify({ c: [...topics.categories], t: [...topics.types] });
  return Buffer.byteLength(text) <= MAX_PAYLOAD ? text : '';
};

/** The topics in a NOTIFY payload; undefined (unknown: wake everyone) if it names none. */
export const parseWakeTopics = (payload: string | undefined): WakeTopics | undefined => {
  if (!payload) return undefined;
  try {
    const { c, t } = JSON.parse(payload) as { c?: unknown; t?: unknown };
    const strings = (value: unknown): value is string[] =>
      Array.isArray(value) && value.every((v) => typeof v === 'string');
    return strings(c) && strings(t) ? { categories: new Set(c), types: new Set(t) } : undefined;
  } catch {
    return undefined;
  }
};
