import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { LoginLimiter } from './login-limiter.js';
import { PasswordError, PasswordHasher, checkNewPassword } from './password-hasher.js';
import { generateSessionToken, hashSessionToken } from './session-store.js';

describe('Passwords', () => {
  const email = 'ada@example.org';

  it.each([
    ['11 characters', 'abcdefghijk'],
    ['129 characters', 'a'.repeat(129)],
    ['the email address', ' ADA@example.org '],
  ])('should refuse %s: WEAK_PASSWORD', (_, password) => {
    expect(() => checkNewPassword(password, email)).toThrow(PasswordError);
    try {
      checkNewPassword(password, email);
    } catch (error) {
      expect(error).toMatchObject({ code: 'WEAK_PASSWORD', kind: 'BAD_USER_INPUT' });
      expect((error as Error).message).not.toContain(password.trim());
    }
  });

  it('should take 12 to 128 characters, counted as characters, not bytes', () => {
    expect(checkNewPassword('a'.repeat(12), email)).toHaveLength(12);
    expect(checkNewPassword('€'.repeat(128), email)).toHaveLength(128);
    expect(checkNewPassword('😀'.repeat(12), email)).toBeDefined();
  });

  it('should hash with argon2id at OWASP parameters, and verify only the right password', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
    expect(await hasher.verify('[erased]', 'correct horse battery staple')).toBe(false);
    expect(await hasher.verifyNothing('anything at all')).toBe(false);
  });
});

describe('Session tokens', () => {
  it('should be long random secrets, stored as SHA-256 only', () => {
    const token = generateSessionToken();
    expect(token).toMatch(/^mps_[A-Za-z0-9_-]{43}$/);
    expect(generateSessionToken()).not.toBe(token);
    expect(hashSessionToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Login limiter', () => {
  const limiter = () =>
    new LoginLimiter(
      { maxFailuresPerAccount: 3, maxFailuresPerIp: 5, windowMinutes: 15 },
      randomBytes(32),
    );

  it('should refuse an account after its failures, with the time to wait', async () => {
    const limits = limiter();
    for (let i = 0; i < 3; i++)
      expect((await limits.attempt('account-a', '10.0.0.1')).allowed).toBe(true);
    const refused = await limits.attempt('account-a', '10.0.0.2');
    expect(refused).toMatchObject({ allowed: false });
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect((await limits.attempt('account-b', '10.0.0.1')).allowed).toBe(true);
  });

  it('should refuse an IP after its failures, whatever the account', async () => {
    const limits = limiter();
    for (let i = 0; i < 5; i++)
      expect((await limits.attempt(`account-${i}`, '10.0.0.1')).allowed).toBe(true);
    expect((await limits.attempt('account-x', '10.0.0.1')).allowed).toBe(false);
    expect((await limits.attempt('account-x', '10.0.0.2')).allowed).toBe(true);
  });

  it('should start an account afresh after a success', async () => {
    const limits = limiter();
    for (let i = 0; i < 2; i++) await limits.attempt('account-a', '10.0.0.1');
    const attempt = await limits.attempt('account-a', '10.0.0.1');
    if (!attempt.allowed) throw new Error('refused too early');
    await limits.succeeded(attempt);
    for (let i = 0; i < 3; i++)
      expect((await limits.attempt('account-a', '10.0.0.1')).allowed).toBe(true);
  });

  it('should not let concurrent attempts slip past the limit', async () => {
    const limits = limiter();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => limits.attempt('account-a', '10.0.0.9')),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });

  it('should never keep the IP itself as a key', async () => {
    const attempt = await limiter().attempt('account-a', '192.0.2.44');
    expect(attempt.allowed && attempt.ipKey).toMatch(/^[0-9a-f]{64}$/);
  });
});
