import { describe, expect, it } from '@jest/globals';

import { DomainThrottle, domainOfAddress, domainResultOf } from './domain-throttle.js';

const fakeClock = (start = Date.parse('2026-11-29T10:00:00Z')) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

const options = { maxConcurrency: 4, backoffBaseMs: 1000, backoffMaxMs: 8000, recoverAfter: 3 };

const acquireAll = (throttle: DomainThrottle, domain: string): number => {
  let n = 0;
  while (throttle.tryAcquire(domain).ok) n++;
  return n;
};

describe('DomainThrottle', () => {
  describe('When a domain answers normally', () => {
    it('should cap concurrent attempts per domain and free a slot on release', () => {
      const throttle = new DomainThrottle(options, fakeClock().now);
      expect(acquireAll(throttle, 'gmail.com')).toBe(4);
      expect(throttle.tryAcquire('gmail.com')).toEqual({ ok: false, reason: 'concurrency' });
      expect(acquireAll(throttle, 'outlook.com')).toBe(4);
      throttle.release('gmail.com', 'ok');
      expect(throttle.tryAcquire('GMAIL.com').ok).toBe(true);
    });

    it('should forget a domain once it is idle at full pace', () => {
      const throttle = new DomainThrottle(options, fakeClock().now);
      throttle.tryAcquire('a.example');
      throttle.release('a.example', 'ok');
      expect(throttle.trackedDomains).toBe(0);
    });
  });

  describe('When a domain replies 421 or 4.7.x', () => {
    it('should slow that domain only: half the concurrency and a pause', () => {
      const clock = fakeClock();
      const throttle = new DomainThrottle(options, clock.now);
      throttle.tryAcquire('yahoo.com');
      throttle.release('yahoo.com', 'throttled');

      expect(throttle.state('yahoo.com')).toMatchObject({ concurrency: 2, backoffLevel: 1 });
      expect(throttle.tryAcquire('yahoo.com')).toEqual({
        ok: false,
        reason: 'backoff',
        retryAt: clock.now() + 1000,
      });
      expect(acquireAll(throttle, 'gmail.com')).toBe(4);

      clock.advance(1000);
      expect(acquireAll(throttle, 'yahoo.com')).toBe(2);
    });

    it('should back off exponentially up to the maximum, down to one connection', () => {
      const clock = fakeClock();
      const throttle = new DomainThrottle(options, clock.now);
      const pauses: number[] = [];
      for (let i = 0; i < 6; i++) {
        clock.advance(throttle.blockedUntil('yahoo.com') - clock.now() > 0 ? 60_000 : 0);
        expect(throttle.tryAcquire('yahoo.com').ok).toBe(true);
        throttle.release('yahoo.com', 'throttled');
        pauses.push(throttle.blockedUntil('yahoo.com') - clock.now());
      }
      expect(pauses).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
      expect(throttle.state('yahoo.com').concurrency).toBe(1);
    });

    it('should recover step by step after successes in a row', () => {
      const clock = fakeClock();
      const throttle = new DomainThrottle(options, clock.now);
      for (let i = 0; i < 2; i++) {
        clock.advance(60_000);
        throttle.tryAcquire('yahoo.com');
        throttle.release('yahoo.com', 'throttled');
      }
      expect(throttle.state('yahoo.com')).toMatchObject({ concurrency: 1, backoffLevel: 2 });
      clock.advance(60_000);

      const succeed = (n: number) => {
        for (let i = 0; i < n; i++) {
          expect(throttle.tryAcquire('yahoo.com').ok).toBe(true);
          throttle.release('yahoo.com', 'ok');
        }
      };
      succeed(3);
      expect(throttle.state('yahoo.com')).toMatchObject({ concurrency: 2, backoffLevel: 1 });
      succeed(2);
      throttle.tryAcquire('yahoo.com');
      throttle.release('yahoo.com', 'failed'); // no verdict: neither slows nor counts
      succeed(1);
      expect(throttle.state('yahoo.com')).toMatchObject({ concurrency: 3, backoffLevel: 0 });
      succeed(3);
      expect(throttle.state('yahoo.com')).toMatchObject({ concurrency: 4 });
      expect(throttle.trackedDomains).toBe(0);
    });
  });

  it('should take the domain of an address', () => {
    expect(domainOfAddress('Ada@Example.ORG')).toBe('example.org');
    expect(domainOfAddress('"a@b"@c.example')).toBe('c.example');
  });
});

describe('domainResultOf', () => {
  it('should slow a domain only for a throttling reply', () => {
    expect(domainResultOf({ kind: 'sent', reply: '250 ok' })).toBe('ok');
    const deferred = { kind: 'deferred', reply: '', code: 450, enhanced: '4.2.2' } as const;
    expect(domainResultOf({ ...deferred, throttle: false })).toBe('ok');
    expect(domainResultOf({ ...deferred, code: 421, throttle: true })).toBe('throttled');
    expect(
      domainResultOf({ kind: 'bounced', reply: '', code: 550, enhanced: '5.1.1', policy: false }),
    ).toBe('ok');
    expect(domainResultOf({ kind: 'failed', reason: 'ECONNRESET' })).toBe('failed');
  });
});
