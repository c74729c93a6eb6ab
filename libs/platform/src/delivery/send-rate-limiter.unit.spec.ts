import { describe, expect, it } from '@jest/globals';

import { SendRateLimiter, TokenBucket } from './send-rate-limiter.js';

/** A clock that only moves when told to. */
const fakeClock = (start = Date.parse('2026-11-29T10:00:00Z')) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('SendRateLimiter', () => {
  describe('When a tenant sends', () => {
    it('should allow the burst at once, then the sustained rate', () => {
      const clock = fakeClock();
      const limiter = new SendRateLimiter({ perSecond: 10, burst: 5 }, clock.now);
      const taken = Array.from({ length: 6 }, () => limiter.tryAcquire('t1').ok);
      expect(taken).toEqual([true, true, true, true, true, false]);
      expect(limiter.tryAcquire('t1')).toEqual({ ok: false, retryInMs: 100 });

      clock.advance(100);
      expect(limiter.tryAcquire('t1').ok).toBe(true);
      expect(limiter.tryAcquire('t1').ok).toBe(false);

      // Over a long run the rate holds: 10 per second.
      let sent = 0;
      for (let ms = 0; ms < 10_000; ms += 10) {
        clock.advance(10);
        while (limiter.tryAcquire('t1').ok) sent++;
      }
      expect(sent).toBeGreaterThanOrEqual(99);
      expect(sent).toBeLessThanOrEqual(101);
    });

    it('should keep tenants apart and honour a per-tenant limit', () => {
      const clock = fakeClock();
      const limiter = new SendRateLimiter({ perSecond: 1, burst: 1 }, clock.now, (tenantId) =>
        tenantId === 'big' ? { perSecond: 100, burst: 50 } : undefined,
      );
      expect(limiter.tryAcquire('small').ok).toBe(true);
      expect(limiter.tryAcquire('small').ok).toBe(false);
      let big = 0;
      while (limiter.tryAcquire('big').ok) big++;
      expect(big).toBe(50);
      expect(limiter.tryAcquire('other').ok).toBe(true);
    });

    it('should forget idle tenants', () => {
      const clock = fakeClock();
      const limiter = new SendRateLimiter({ perSecond: 10, burst: 2 }, clock.now);
      limiter.tryAcquire('a');
      limiter.tryAcquire('b');
      expect(limiter.size).toBe(2);
      clock.advance(1000);
      limiter.prune();
      expect(limiter.size).toBe(0);
    });
  });

  it('should refuse a limit that would never send', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 }, () => 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ perSecond: 1, burst: 0 }, () => 0)).toThrow(RangeError);
  });

  it('should not mint tokens when the clock goes backwards', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, clock.now);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(-60_000);
    expect(bucket.tryTake()).toBe(false);
  });
});
