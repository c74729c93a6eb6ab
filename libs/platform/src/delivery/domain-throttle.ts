import type { SendOutcome } from './send-outcome.js';
import { type Now, systemNow } from './send-rate-limiter.js';

export interface DomainThrottleOptions {
  /** Concurrent SMTP transactions per destination domain when all is well. */
  maxConcurrency: number;
  /** First back-off after a throttling reply; doubled for each further one. */
  backoffBaseMs: number;
  /** The longest back-off. */
  backoffMaxMs: number;
  /** Successes in a row that win back one slot of concurrency and one back-off step. */
  recoverAfter: number;
}

export const DEFAULT_DOMAIN_THROTTLE: DomainThrottleOptions = {
  maxConcurrency: 5,
  backoffBaseMs: 30_000,
  backoffMaxMs: 30 * 60_000,
  recoverAfter: 20,
};

/** How an attempt at a domain ended, as far as the domain's pace is concerned. */
export type DomainResult =
  /** 2xx, or a reply about the recipient alone (5.1.1, 4.2.2, …). */
  | 'ok'
  /** 421 or 4.7.x: the destination asks us to slow down. */
  | 'throttled'
  /** No reply (connection refused, reset, timeout): no verdict on the pace. */
  | 'failed';

export interface DomainState {
  concurrency: number;
  inFlight: number;
  /** Consecutive throttling replies not yet recovered from. */
  backoffLevel: number;
  /** Epoch ms before which nothing is sent to the domain. */
  blockedUntil: number;
  successes: number;
}

/**
 * What a send outcome says about the domain's pace: only 421 / 4.7.x slow it down; a reply about
 * one recipient (4.2.2, 5.1.1, …) shows the domain answering normally; no reply says nothing.
 */
export const domainResultOf = (outcome: SendOutcome): DomainResult => {
  switch (outcome.kind) {
    case 'sent':
    case 'bounced':
      return 'ok';
    case 'deferred':
      return outcome.throttle ? 'throttled' : 'ok';
    case 'failed':
      return 'failed';
  }
};

/** The destination domain of an address, lower-cased (the part after the last `@`). */
export const domainOfAddress = (address: string): string =>
  address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * A concurrency cap per destination domain with exponential back-off per domain. A throttling
 * reply (421, 4.7.x) slows only that domain: its concurrency halves and it pauses for
 * `backoffBaseMs * 2^(level-1)` (at most `backoffMaxMs`); every `recoverAfter` successes in a row
 * give back one slot and one back-off step. Pure and single-threaded: one instance per worker.
 */
export class DomainThrottle {
  readonly #domains = new Map<string, DomainState>();

  constructor(
    private readonly options: DomainThrottleOptions = DEFAULT_DOMAIN_THROTTLE,
    private readonly now: Now = systemNow,
  ) {
    if (!(options.maxConcurrency >= 1) || !(options.recoverAfter >= 1)) {
      throw new RangeError('maxConcurrency and recoverAfter must be at least 1');
    }
  }

  /**
   * Takes a slot for one attempt at `domain`, or says why not and from when to ask again
   * (`retryAt` undefined: when a slot is released).
   */
  tryAcquire(
    domain: string,
  ): { ok: true } | { ok: false; reason: 'backoff' | 'concurrency'; retryAt?: number } {
    const state = this.#state(domain.toLowerCase());
    if (state.blockedUntil > this.now()) {
      return { ok: false, reason: 'backoff', retryAt: state.blockedUntil };
    }
    if (state.inFlight >= state.concurrency) return { ok: false, reason: 'concurrency' };
    state.inFlight += 1;
    return { ok: true };
  }

  /** Gives the slot back with the attempt's result. */
  release(domain: string, result: DomainResult): void {
    const key = domain.toLowerCase();
    const state = this.#state(key);
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (result === 'throttled') {
      state.successes = 0;
      state.backoffLevel += 1;
      state.concurrency = Math.max(1, Math.floor(state.concurrency / 2));
      state.blockedUntil = Math.max(state.blockedUntil, this.now() + this.backoffMs(key));
    } else if (result === 'ok') {
      state.successes += 1;
      if (state.successes >= this.options.recoverAfter) {
        state.successes = 0;
        state.backoffLevel = Math.max(0, state.backoffLevel - 1);
        state.concurrency = Math.min(this.options.maxConcurrency, state.concurrency + 1);
      }
    }
    if (this.#idle(state)) this.#domains.delete(key);
  }

  /** The current back-off of a domain, in ms (0 when it is not backing off). */
  backoffMs(domain: string): number {
    const level = this.#domains.get(domain.toLowerCase())?.backoffLevel ?? 0;
    if (level === 0) return 0;
    return Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (level - 1));
  }

  /** Epoch ms before which the domain takes nothing (0: no block). */
  blockedUntil(domain: string): number {
    return this.#domains.get(domain.toLowerCase())?.blockedUntil ?? 0;
  }

  /** A copy of a domain's state, for logs and tests. */
  state(domain: string): DomainState {
    return { ...this.#state(domain.toLowerCase(), false) };
  }

  #state(domain: string, keep = true): DomainState {
    let state = this.#domains.get(domain);
    if (!state) {
      state = {
        concurrency: this.options.maxConcurrency,
        inFlight: 0,
        backoffLevel: 0,
        blockedUntil: 0,
        successes: 0,
      };
      if (keep) this.#domains.set(domain, state);
    }
    return state;
  }

  /** A domain back at full pace with nothing in flight need not be remembered. */
  #idle(state: DomainState): boolean {
    return (
      state.inFlight === 0 &&
      state.backoffLevel === 0 &&
      state.concurrency === this.options.maxConcurrency &&
      state.blockedUntil <= this.now()
    );
  }

  get trackedDomains(): number {
    return this.#domains.size;
  }
}
