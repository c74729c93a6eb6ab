import type { DomainThrottle } from './domain-throttle.js';
import { type Now, systemNow } from './send-rate-limiter.js';

export interface RetryScheduleOptions {
  /** Delay after the first deferral; doubled for each further one. */
  baseDelayMs: number;
  /** The longest delay between two attempts. */
  maxDelayMs: number;
  /** Fraction of the delay drawn at random either way (0.2: ±20 %), so retries spread out. */
  jitter: number;
  /** After this long since the first attempt a message is given up (`MessageFailed`). */
  windowMs: number;
}

export const DEFAULT_RETRY_WINDOW_MS = 24 * 60 * 60_000;

export const DEFAULT_RETRY_SCHEDULE: RetryScheduleOptions = {
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  jitter: 0.2,
  windowMs: DEFAULT_RETRY_WINDOW_MS,
};

export type NextAttempt = { kind: 'retry'; at: Date } | { kind: 'expired' };

/**
 * When a deferred (4xx) or failed (no reply) message is tried again: exponential back-off with
 * jitter (`baseDelayMs * 2^(attempt-1)`, at most `maxDelayMs`), never before the destination
 * domain's own back-off ends, and never after the retry window: the last attempt is at the
 * window's end, and once it has passed the message has `expired` (recorded as failed).
 * 5xx replies are never retried and never come here.
 */
export class RetrySchedule {
  constructor(
    private readonly options: RetryScheduleOptions = DEFAULT_RETRY_SCHEDULE,
    private readonly now: Now = systemNow,
    private readonly random: () => number = Math.random,
    private readonly domains?: DomainThrottle,
  ) {
    if (!(options.jitter >= 0 && options.jitter < 1)) throw new RangeError('jitter is in [0, 1)');
  }

  /**
   * @param attempt attempts made so far (1 after the first deferral)
   * @param domain the recipient's domain
   * @param firstAttemptAt when the message was first tried (the retry window starts there)
   */
  nextAttemptAt(attempt: number, domain: string, firstAttemptAt: Date): NextAttempt {
    const now = this.now();
    const deadline = firstAttemptAt.getTime() + this.options.windowMs;
    if (now >= deadline) return { kind: 'expired' };
    const exponent = Math.max(0, Math.floor(attempt) - 1);
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** exponent);
    const jittered = delay * (1 - this.options.jitter + 2 * this.options.jitter * this.random());
    const at = Math.max(now + Math.round(jittered), this.domains?.blockedUntil(domain) ?? 0);
    return { kind: 'retry', at: new Date(Math.min(at, deadline)) };
  }
}
