import { describe, expect, it } from '@jest/globals';

import { DomainThrottle } from './domain-throttle.js';
import { DEFAULT_RETRY_WINDOW_MS, RetrySchedule } from './retry-schedule.js';

const start = Date.parse('2026-11-29T10:00:00Z');

const fakeClock = () => {
  let now = start;
  return { now: () => now, set: (ms: number) => (now = ms) };
};

const options = {
  baseDelayMs: 60_000,
  maxDelayMs: 3_600_000,
  jitter: 0.2,
  windowMs: DEFAULT_RETRY_WINDOW_MS,
};

describe('RetrySchedule', () => {
  describe('When a message is deferred', () => {
    it('should back off exponentially up to the maximum delay', () => {
      const clock = fakeClock();
      const schedule = new RetrySchedule(options, clock.now, () => 0.5);
      const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => {
        const next = schedule.nextAttemptAt(attempt, 'example.org', new Date(start));
        return next.kind === 'retry' ? next.at.getTime() - start : -1;
      });
      expect(delays).toEqual([
        60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000,
      ]);
    });

    it('should spread retries by the jitter, within its bounds', () => {
      const clock = fakeClock();
      const low = new RetrySchedule(options, clock.now, () => 0);
      const high = new RetrySchedule(options, clock.now, () => 0.999999);
      const at = (s: RetrySchedule) => {
        const next = s.nextAttemptAt(1, 'example.org', new Date(start));
        return next.kind === 'retry' ? next.at.getTime() - start : -1;
      };
      expect(at(low)).toBe(48_000);
      expect(at(high)).toBeGreaterThan(71_990);
      expect(at(high)).toBeLessThanOrEqual(72_000);
    });

    it('should wait for the domain to come out of its back-off', () => {
      const clock = fakeClock();
      const domains = new DomainThrottle(
        { maxConcurrency: 2, backoffBaseMs: 600_000, backoffMaxMs: 600_000, recoverAfter: 5 },
        clock.now,
      );
      domains.tryAcquire('yahoo.com');
      domains.release('yahoo.com', 'throttled');
      const schedule = new RetrySchedule(options, clock.now, () => 0.5, domains);
      const slowed = schedule.nextAttemptAt(1, 'yahoo.com', new Date(start));
      const other = schedule.nextAttemptAt(1, 'gmail.com', new Date(start));
      expect(slowed).toEqual({ kind: 'retry', at: new Date(start + 600_000) });
      expect(other).toEqual({ kind: 'retry', at: new Date(start + 60_000) });
    });
  });

  describe('When the retry window runs out', () => {
    it('should make the last attempt at the end of the window, then give up', () => {
      const clock = fakeClock();
      const schedule = new RetrySchedule(options, clock.now, () => 0.5);
      const first = new Date(start);
      clock.set(start + DEFAULT_RETRY_WINDOW_MS - 10_000);
      expect(schedule.nextAttemptAt(30, 'example.org', first)).toEqual({
        kind: 'retry',
        at: new Date(start + DEFAULT_RETRY_WINDOW_MS),
      });
      clock.set(start + DEFAULT_RETRY_WINDOW_MS);
      expect(schedule.nextAttemptAt(31, 'example.org', first)).toEqual({ kind: 'expired' });
    });
  });

  it('should refuse a jitter outside [0, 1)', () => {
    expect(() => new RetrySchedule({ ...options, jitter: 1 })).toThrow(RangeError);
  });
});
