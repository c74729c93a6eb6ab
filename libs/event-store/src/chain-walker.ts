import { type Hash, createHash, hash } from 'node:crypto';

import {
  type BrokenLink,
  type BrokenLinkCode,
  type Position,
  categoryOf,
} from './event-store.port.js';
import { GENESIS_HASH, eventContentDigest } from './hash-chain.js';

/**
 * The auditor's side of the tamper evidence: walks stored events in log order and checks, per
 * stream, the hash chain (each event's stored bytes against its hash, and its link to the previous
 * event of its stream), contiguous revisions, increasing log positions and recorded times that do
 * not go backwards by more than the clock skew writers may have. Adapters feed it pages of rows and
 * compare what it learnt (each stream's last event) with whatever else they keep (stream heads).
 *
 * Hot path of `audit verify`: hashes and positions stay hex and decimal text, revisions numbers.
 */

export const GENESIS_HEX = GENESIS_HASH.toString('hex');

/** Recorded times are taken by each writer's clock before its append: allow that much skew. */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/** One stored event as an auditor reads it: the stored texts and chain fields, positions as text. */
export interface WalkedEvent {
  streamId: string;
  /** The stored category column, where the adapter keeps one (subscriptions filter on it). */
  category?: string;
  revision: number;
  eventId: string;
  type: string;
  dataText: string;
  metadataText: string;
  /** Hex. */
  previousHash: string;
  /** Hex. */
  hash: string;
  /** Decimal text of the log position ('' when the adapter has none). */
  commit: string;
  prepare: string;
}

/** The last event checked (or loaded) of a stream. */
export interface StreamHead {
  revision: number;
  hash: string;
  /** The latest recorded time seen in the stream (ISO text). */
  timeText: string;
  commit: string;
  prepare: string;
}

/** A stream that has no head in the walk yet. */
const NO_HEAD: StreamHead = {
  revision: -1,
  hash: GENESIS_HEX,
  timeText: '',
  commit: '',
  prepare: '',
};

/** Compares two non-negative decimal integers given as text. */
export const compareDecimal = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

export const positionOf = (commit: string, prepare: string): Position | undefined =>
  commit && prepare ? { commit: BigInt(commit), prepare: BigInt(prepare) } : undefined;

/** A top-level string field of stored metadata, found without parsing it (flat JSON we wrote). */
export const metadataString = (metadataText: string, name: string): string | undefined => {
  const key = `"${name}":"`;
  const at = metadataText.lastIndexOf(key);
  if (at === -1) return undefined;
  const start = at + key.length;
  const end = metadataText.indexOf('"', start);
  return end === -1 ? undefined : metadataText.slice(start, end);
};

export const recordedTimeOf = (metadataText: string): number => {
  const text = metadataString(metadataText, 'timestamp');
  const time = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
};

export const brokenAt = (
  event: { streamId: string; revision: number; commit: string; prepare: string },
  code: BrokenLinkCode,
  reason: string,
): BrokenLink => ({
  streamId: event.streamId,
  revision: BigInt(event.revision),
  position: positionOf(event.commit, event.prepare),
  code,
  reason,
});

/** Reused by `linkHash` (synchronous): previous hash ‖ revision as int8 ‖ content digest. */
const linkInput = Buffer.allocUnsafe(72);

/** `chainHash` of hash-chain.ts with a hex previous hash and a number revision, as hex. */
const linkHash = (previousHex: string, revision: number, contentDigest: Buffer): string => {
  linkInput.write(previousHex, 0, 32, 'hex');
  linkInput.writeUInt32BE(Math.floor(revision / 2 ** 32), 32);
  linkInput.writeUInt32BE(revision >>> 0, 36);
  contentDigest.copy(linkInput, 40);
  return hash('sha256', linkInput, 'hex');
};

export class ChainWalker {
  /** Each stream's last checked event: what the adapter compares with its stream heads. */
  readonly heads = new Map<string, StreamHead>();
  checked = 0;
  private lastCommit = '';
  private lastPrepare = '';

  /**
   * Streams of `events` whose first event here is not revision 0 and that the walk has not seen:
   * the adapter loads the stored event before each (`seed`) before `check`ing the page.
   */
  unseenStreams(events: readonly WalkedEvent[]): Array<{ streamId: string; revision: number }> {
    const first = new Map<string, number>();
    for (const e of events) {
      if (!this.heads.has(e.streamId) && !first.has(e.streamId)) first.set(e.streamId, e.revision);
    }
    return [...first]
      .filter(([, revision]) => revision > 0)
      .map(([streamId, revision]) => ({ streamId, revision: revision - 1 }));
  }

  /** The stored event before the first one the walk will see of a stream (none: it is missing). */
  seed(streamId: string, head: StreamHead | undefined): void {
    if (head) this.heads.set(streamId, head);
  }

  check(event: WalkedEvent): BrokenLink | undefined {
    this.checked++;
    const head = this.heads.get(event.streamId) ?? NO_HEAD;
    if (
      event.commit !== '' &&
      event.commit === this.lastCommit &&
      event.prepare === this.lastPrepare
    ) {
      return brokenAt(event, 'OUT_OF_ORDER', 'two events share one log position');
    }
    if (event.revision !== head.revision + 1) {
      return event.revision <= head.revision
        ? brokenAt(
            event,
            'OUT_OF_ORDER',
            `revision ${event.revision} comes after revision ${head.revision} in the log`,
          )
        : brokenAt(
            event,
            'REVISION_GAP',
            head.revision + 1 === event.revision - 1
              ? `revision ${head.revision + 1} of the stream is missing (or moved)`
              : `revisions ${head.revision + 1}..${event.revision - 1} of the stream are missing (or moved)`,
          );
    }
    if (
      event.commit !== '' &&
      head.commit !== '' &&
      (compareDecimal(event.commit, head.commit) || compareDecimal(event.prepare, head.prepare)) <=
        0
    ) {
      return brokenAt(
        event,
        'OUT_OF_ORDER',
        'log position is not after the previous event of the stream',
      );
    }
    if (event.category !== undefined && event.category !== categoryOf(event.streamId)) {
      return brokenAt(
        event,
        'CATEGORY_MISMATCH',
        "the stored category is not the stream's: subscribers filtering on it would miss the event",
      );
    }
    if (event.previousHash !== head.hash) {
      return brokenAt(event, 'LINK_MISMATCH', 'link to the previous event does not match');
    }
    const expected = linkHash(head.hash, event.revision, eventContentDigest(event));
    if (expected !== event.hash) {
      return brokenAt(event, 'HASH_MISMATCH', 'stored bytes do not match the hash');
    }
    // ISO-8601 UTC texts of one format order like their times: parse only when one goes back.
    const timeText = metadataString(event.metadataText, 'timestamp') ?? '';
    if (
      timeText < head.timeText &&
      Date.parse(timeText) < Date.parse(head.timeText) - CLOCK_SKEW_TOLERANCE_MS
    ) {
      return brokenAt(
        event,
        'TIME_BACKWARDS',
        'recorded time is earlier than the previous event of the stream',
      );
    }
    if (event.commit !== '') {
      this.lastCommit = event.commit;
      this.lastPrepare = event.prepare;
    }
    this.heads.set(event.streamId, {
      revision: event.revision,
      hash: expected,
      timeText: timeText > head.timeText ? timeText : head.timeText,
      commit: event.commit,
      prepare: event.prepare,
    });
    return undefined;
  }
}

// ── Log seals ─────────────────────────────────────────────────────────────────────────────────

/** One tenant's share of a seal: events so far and the digest of their hashes in log order. */
export interface SealTally {
  events: number;
  digest: string;
}

/**
 * A stored log seal. `logDigest` chains the seals' segments: sha256(previous seal's logDigest ‖
 * the 32-byte hashes of the events after it up to `position`, in log order); the same per tenant
 * (events of the tenant only; tenants without events in a segment keep their digest).
 */
export interface StoredSeal {
  sealId: number;
  commit: string;
  prepare: string;
  events: number;
  logDigest: string;
  tenants: Record<string, SealTally>;
  previousHash: string;
  hash: string;
  sealedAt: string;
}

export type SealBody = Pick<StoredSeal, 'commit' | 'prepare' | 'events' | 'logDigest' | 'tenants'>;

/** The seal's own hash, chaining it to the seal before (canonical text, tenants in id order). */
export const sealHashOf = (previousHash: string, body: SealBody): string => {
  const tenants = Object.keys(body.tenants)
    .sort()
    .map((t) => `${t}:${body.tenants[t]!.events}:${body.tenants[t]!.digest}`)
    .join(',');
  return createHash('sha256')
    .update(
      `mailpackr-log-seal-v1|${previousHash}|${body.commit}|${body.prepare}|${body.events}|${body.logDigest}|${tenants}`,
    )
    .digest('hex');
};

interface Segment {
  hash: Hash;
  events: number;
}

const openSegment = (digest: string, events: number): Segment => ({
  hash: createHash('sha256').update(Buffer.from(digest, 'hex')),
  events,
});

/**
 * Compares the seals with a walk of the log from its first event (all of it, or one tenant's
 * part): counts and digests of each sealed segment. Also yields the body of a new seal after a
 * whole-log walk.
 */
export class SealTracker {
  checked = 0;
  private next = 0;
  private total: Segment;
  /** Per tenant: the digest at the last seal and the open segment since. */
  private readonly tenants = new Map<string, { sealed: SealTally; segment?: Segment }>();

  constructor(
    private readonly seals: readonly StoredSeal[],
    private readonly tenantId?: string,
  ) {
    this.total = openSegment(GENESIS_HEX, 0);
  }

  /** The seals' own chain: each one's hash, and its link to the one before. */
  checkChain(): BrokenLink | undefined {
    let previous = GENESIS_HEX;
    for (const seal of this.seals) {
      if (seal.previousHash !== previous || sealHashOf(seal.previousHash, seal) !== seal.hash) {
        return this.broken(
          seal,
          `log seal #${seal.sealId} was altered, or a seal before it removed`,
        );
      }
      previous = seal.hash;
    }
    return undefined;
  }

  /** Before an event at this position: closes the seals that end before it. */
  before(commit: string, prepare: string): BrokenLink | undefined {
    for (;;) {
      const seal = this.seals[this.next];
      if (!seal) return undefined;
      const cmp = compareDecimal(commit, seal.commit) || compareDecimal(prepare, seal.prepare);
      if (cmp <= 0) return undefined;
      const broken = this.close(seal);
      if (broken) return broken;
    }
  }

  add(hashHex: string, tenantId: string | undefined): void {
    if (this.tenantId === undefined) {
      this.total.hash.update(hashHex, 'hex');
      this.total.events++;
    }
    const key = tenantId ?? '';
    if (this.tenantId !== undefined && key !== this.tenantId) return;
    let tally = this.tenants.get(key);
    if (!tally) {
      tally = { sealed: { events: 0, digest: GENESIS_HEX } };
      this.tenants.set(key, tally);
    }
    tally.segment ??= openSegment(tally.sealed.digest, tally.sealed.events);
    tally.segment.hash.update(hashHex, 'hex');
    tally.segment.events++;
  }

  /** At the end of the walk: every seal left must match what was seen. */
  finish(): BrokenLink | undefined {
    while (this.seals[this.next]) {
      const broken = this.close(this.seals[this.next]!);
      if (broken) return broken;
    }
    return undefined;
  }

  get latest(): StoredSeal | undefined {
    return this.seals[this.seals.length - 1];
  }

  /** The body of a seal up to the last event walked (whole-log walks only). */
  newSeal(commit: string, prepare: string): SealBody {
    const tenants: Record<string, SealTally> = {};
    for (const [tenant, tally] of this.tenants) tenants[tenant] = this.tally(tally);
    return {
      commit,
      prepare,
      events: this.total.events,
      logDigest: this.total.hash.copy().digest('hex'),
      tenants,
    };
  }

  private tally(t: { sealed: SealTally; segment?: Segment }): SealTally {
    return t.segment
      ? { events: t.segment.events, digest: t.segment.hash.copy().digest('hex') }
      : t.sealed;
  }

  private close(seal: StoredSeal): BrokenLink | undefined {
    this.next++;
    this.checked++;
    if (this.tenantId === undefined) {
      const digest = this.total.hash.digest('hex');
      const events = this.total.events;
      this.total = openSegment(digest, events);
      if (events !== seal.events) {
        return this.broken(
          seal,
          `log seal #${seal.sealId} counts ${seal.events} events up to its position, the log holds ${events}: events were deleted or inserted`,
        );
      }
      if (digest !== seal.logDigest) {
        return this.broken(
          seal,
          `log seal #${seal.sealId} does not match the log up to its position: events were replaced or reordered`,
        );
      }
    }
    const keys = new Set([...this.tenants.keys(), ...Object.keys(seal.tenants)]);
    for (const key of keys) {
      if (this.tenantId !== undefined && key !== this.tenantId) continue;
      let tally = this.tenants.get(key);
      if (!tally) {
        tally = { sealed: { events: 0, digest: GENESIS_HEX } };
        this.tenants.set(key, tally);
      }
      const seen = this.tally(tally);
      tally.sealed = seen;
      delete tally.segment;
      const sealed = seal.tenants[key] ?? { events: 0, digest: GENESIS_HEX };
      if (seen.events !== sealed.events || seen.digest !== sealed.digest) {
        return this.broken(
          seal,
          seen.events !== sealed.events
            ? `log seal #${seal.sealId} counts ${sealed.events} events of ${key ? 'tenant ' + key : 'no tenant'} up to its position, the log holds ${seen.events}: events were deleted or inserted`
            : `log seal #${seal.sealId} does not match the events of ${key ? 'tenant ' + key : 'no tenant'} up to its position: events were replaced or reordered`,
        );
      }
    }
    return undefined;
  }

  private broken(seal: StoredSeal, reason: string): BrokenLink {
    return { position: positionOf(seal.commit, seal.prepare), code: 'SEAL_MISMATCH', reason };
  }
}
