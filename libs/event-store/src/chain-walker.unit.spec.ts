import { randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  ChainWalker,
  GENESIS_HEX,
  SealTracker,
  type WalkedEvent,
  sealHashOf,
} from './chain-walker.js';
import { eventHash } from './hash-chain.js';

/** A stream's events as the store would have written them, at consecutive log positions. */
const streamOf = (streamId: string, times: readonly string[], firstPosition = 1): WalkedEvent[] => {
  let previous = GENESIS_HEX;
  return times.map((timestamp, revision) => {
    const eventId = randomUUID();
    const dataText = JSON.stringify({ revision });
    const metadataText = JSON.stringify({ schemaVersion: 1, tenantId: 't1', timestamp });
    const hash = eventHash({
      previousHash: Buffer.from(previous, 'hex'),
      eventId,
      streamId,
      revision: BigInt(revision),
      type: 'Happened',
      dataText,
      metadataText,
    }).toString('hex');
    const event: WalkedEvent = {
      streamId,
      revision,
      eventId,
      type: 'Happened',
      dataText,
      metadataText,
      previousHash: previous,
      hash,
      commit: String(100 + revision),
      prepare: String(firstPosition + revision),
    };
    previous = hash;
    return event;
  });
};

const walk = (events: readonly WalkedEvent[]) => {
  const walker = new ChainWalker();
  for (const e of events) {
    const broken = walker.check(e);
    if (broken) return broken;
  }
  return undefined;
};

describe('ChainWalker', () => {
  describe('When recorded times go backwards', () => {
    it('should accept clock skew between writers up to five minutes', () =>
      expect(
        walk(streamOf('s-1', ['2026-01-01T10:00:00.000Z', '2026-01-01T09:56:00.000Z'])),
      ).toBeUndefined());

    it('should report more than that', () =>
      expect(
        walk(streamOf('s-1', ['2026-01-01T10:00:00.000Z', '2026-01-01T09:50:00.000Z'])),
      ).toMatchObject({ streamId: 's-1', revision: 1n, code: 'TIME_BACKWARDS' }));
  });

  describe('When two events share a log position', () => {
    it('should report the second', () => {
      const [a] = streamOf('a-1', ['2026-01-01T10:00:00.000Z']);
      const [b] = streamOf('b-1', ['2026-01-01T10:00:00.000Z']);
      expect(walk([a!, b!])).toMatchObject({ streamId: 'b-1', code: 'OUT_OF_ORDER' });
    });
  });

  describe('When a stream is seen from the middle', () => {
    it('should ask for the stored event before its first one', () => {
      const events = streamOf('s-1', ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:01.000Z']);
      const walker = new ChainWalker();
      expect(walker.unseenStreams(events.slice(1))).toEqual([{ streamId: 's-1', revision: 0 }]);
      expect(walker.unseenStreams(events)).toEqual([]);
    });
  });
});

describe('SealTracker', () => {
  const events = streamOf('s-1', ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:01.000Z']);
  const sealAfter = (n: number) => {
    const tracker = new SealTracker([]);
    for (const e of events.slice(0, n)) tracker.add(e.hash, 't1');
    const body = tracker.newSeal(events[n - 1]!.commit, events[n - 1]!.prepare);
    return {
      ...body,
      sealId: 1,
      previousHash: GENESIS_HEX,
      hash: sealHashOf(GENESIS_HEX, body),
      sealedAt: '',
    };
  };

  it('should match the log it sealed, in total and per tenant', () => {
    for (const tenantId of [undefined, 't1']) {
      const tracker = new SealTracker([sealAfter(2)], tenantId);
      expect(tracker.checkChain()).toBeUndefined();
      for (const e of events) {
        expect(tracker.before(e.commit, e.prepare)).toBeUndefined();
        tracker.add(e.hash, 't1');
      }
      expect(tracker.finish()).toBeUndefined();
      expect(tracker.checked).toBe(1);
    }
  });

  it('should report a sealed event that is gone', () => {
    const tracker = new SealTracker([sealAfter(2)]);
    tracker.add(events[0]!.hash, 't1');
    expect(tracker.finish()).toMatchObject({ code: 'SEAL_MISMATCH' });
  });
});
