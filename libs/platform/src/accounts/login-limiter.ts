import { createHmac } from 'node:crypto';

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowMinutes: number;
}

export type LoginAttempt =
  | { allowed: true; accountKey: string; ipKey: string }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Failed logins per account (its email index) and per client IP in a fixed window, kept in this
 * process's memory (`RateLimiterMemory`): with several API processes each counts its own share.
 * An attempt is counted as a failure before the password is checked (so concurrent attempts
 * cannot slip past the limit), and a success takes it back: the account's count is reset and the
 * IP's attempt refunded. IPs are keyed by an HMAC, never kept in plaintext.
 */
export class LoginLimiter {
  private readonly perAccount: RateLimiterMemory;
  private readonly perIp: RateLimiterMemory;

  constructor(
    private readonly limits: LoginLimits,
    private readonly ipKey: Buffer,
  ) {
    const duration = limits.windowMinutes * 60;
    this.perAccount = new RateLimiterMemory({
      keyPrefix: 'login-account',
      points: limits.maxFailuresPerAccount,
      duration,
    });
    this.perIp = new RateLimiterMemory({
      keyPrefix: 'login-ip',
      points: limits.maxFailuresPerIp,
      duration,
    });
  }

  /** Counts an attempt for the account and the IP, or refuses it while either is over its limit. */
  async attempt(emailIndex: string, ip: string): Promise<LoginAttempt> {
    const accountKey = emailIndex;
    const ipKey = createHmac('sha256', this.ipKey).update(ip, 'utf8').digest('hex');
    const [account, client] = await Promise.all([
      this.perAccount.get(accountKey),
      this.perIp.get(ipKey),
    ]);
    const blocked = [
      account && account.consumedPoints >= this.limits.maxFailuresPerAccount ? account : null,
      client && client.consumedPoints >= this.limits.maxFailuresPerIp ? client : null,
    ].filter((r): r is RateLimiterRes => r !== null);
    if (blocked.length > 0) return refusal(blocked);
    const consumed = await Promise.allSettled([
      this.perAccount.consume(accountKey),
      this.perIp.consume(ipKey),
    ]);
    const refused = consumed
      .map((c) => (c.status === 'rejected' ? (c.reason as unknown) : null))
      .filter((r): r is RateLimiterRes => r instanceof RateLimiterRes);
    const failed = consumed.find(
      (c) => c.status === 'rejected' && !(c.reason instanceof RateLimiterRes),
    );
    if (failed?.status === 'rejected') throw failed.reason;
    if (refused.length > 0) return refusal(refused);
    return { allowed: true, accountKey, ipKey };
  }

  /** A successful login: the account starts afresh, the IP gets its attempt back. */
  async succeeded(attempt: Extract<LoginAttempt, { allowed: true }>): Promise<void> {
    await Promise.all([
      this.perAccount.delete(attempt.accountKey),
      this.perIp.reward(attempt.ipKey, 1),
    ]);
  }
}

const refusal = (results: readonly RateLimiterRes[]): LoginAttempt => ({
  allowed: false,
  retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...results.map((r) => r.msBeforeNext)) / 1000)),
});
