/** The clock the throttles read: milliseconds since the epoch. Injected so tests can move time. */
export type Now = () => number;

export const systemNow: Now = () => Date.now();

export interface RateLimit {
  /** Sustained rate, messages per second (> 0). */
  perSecond: number;
  /** How many may go at once after a quiet spell (>= 1). */
  burst: number;
}

/** A token bucket: `burst` tokens, refilled at `perSecond`. */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: Now,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError('a rate limit needs perSecond > 0 and burst >= 1');
    }
    this.#tokens = limit.burst;
    this.#updatedAt = now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.limit.perSecond);
  }

  /** True when the bucket is full again, so it can be forgotten. */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.limit.burst;
  }

  #refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(
      this.limit.burst,
      this.#tokens + (elapsed * this.limit.perSecond) / 1000,
    );
  }
}

/**
 * One token bucket per tenant: `tryAcquire(tenantId)` says whether that tenant may send one more
 * message now, or in how many milliseconds to ask again. Tenants never share a budget; a
 * per-tenant limit overrides the default (a plan's rate).
 */
export class SendRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly defaults: RateLimit,
    private readonly now: Now = systemNow,
    private readonly limitOf: (tenantId: string) => RateLimit | undefined = () => undefined,
  ) {}

  tryAcquire(tenantId: string): { ok: true } | { ok: false; retryInMs: number } {
    const bucket = this.#bucket(tenantId);
    if (bucket.tryTake()) return { ok: true };
    return { ok: false, retryInMs: bucket.waitMs() };
  }

  /** Forgets tenants whose bucket is full (idle), so the map does not grow without bound. */
  prune(): void {
    for (const [tenantId, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(tenantId);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #bucket(tenantId: string): TokenBucket {
    let bucket = this.#buckets.get(tenantId);
    if (!bucket) {
      bucket = new TokenBucket(this.limitOf(tenantId) ?? this.defaults, this.now);
      this.#buckets.set(tenantId, bucket);
    }
    return bucket;
  }
}
