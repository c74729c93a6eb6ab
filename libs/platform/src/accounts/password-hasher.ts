import { randomBytes } from 'node:crypto';

import { type Algorithm, hash, verify } from '@node-rs/argon2';

import { DomainError, type ErrorKindTable } from '#domain';

/** OWASP's argon2id parameters: 19 MiB of memory, 2 iterations, parallelism 1. */
export const ARGON2ID_PARAMETERS = {
  algorithm: 2 as Algorithm, // Algorithm.Argon2id (a const enum, not importable here)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Password rules: 12 to 128 characters (the upper bound keeps hashing cheap to refuse), and not
 * the account's own email address.
 */
export const PASSWORD_LENGTH = { min: 12, max: 128 } as const;

export type PasswordErrorCode = 'WEAK_PASSWORD' | 'WRONG_PASSWORD';

const passwordErrorKinds: ErrorKindTable<PasswordErrorCode> = {
  WEAK_PASSWORD: 'BAD_USER_INPUT',
  WRONG_PASSWORD: 'BAD_USER_INPUT',
};

/** A password refused (never echoed back: the message names the rule, not the value). */
export class PasswordError extends DomainError<PasswordErrorCode> {
  constructor(code: PasswordErrorCode, message?: string) {
    super(code, passwordErrorKinds, message);
  }
}

const length = (text: string): number => [...text].length;

/** True when the password may be used for login attempts at all (the length bound). */
export const withinPasswordBounds = (password: unknown): password is string =>
  typeof password === 'string' && length(password) <= PASSWORD_LENGTH.max;

/** Throws `WEAK_PASSWORD` unless the password follows the rules. */
export const checkNewPassword = (password: unknown, email: string): string => {
  if (
    typeof password !== 'string' ||
    length(password) < PASSWORD_LENGTH.min ||
    length(password) > PASSWORD_LENGTH.max
  )
    throw new PasswordError(
      'WEAK_PASSWORD',
      `A password has ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`,
    );
  if (password.trim().toLowerCase() === email.trim().toLowerCase())
    throw new PasswordError('WEAK_PASSWORD', 'A password must not be the email address');
  return password;
};

/**
 * argon2id hashing (OWASP parameters) on libuv's thread pool. `verifyNothing` spends the same work
 * on a fixed dummy hash, so a login for an unknown address takes as long as a wrong password.
 */
export class PasswordHasher {
  #dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return hash(password, ARGON2ID_PARAMETERS);
  }

  /** False for a wrong password and for anything that is not an argon2 hash (e.g. `[erased]`). */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    if (!passwordHash.startsWith('$argon2')) {
      await this.verifyNothing(password);
      return false;
    }
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Verifies against a dummy hash made once per process: the same cost, always false. */
  async verifyNothing(password: string): Promise<false> {
    this.#dummy ??= hash(randomBytes(32), ARGON2ID_PARAMETERS);
    await verify(await this.#dummy, password).catch(() => false);
    return false;
  }
}
