import { type KeyObject, createCipheriv, createDecipheriv } from 'node:crypto';

import { randomPool } from './random-pool.js';

import { PrivacyError } from './privacy.errors.js';

/** What every erased (or never-keyed) personal field reads as, in replays, exports and projections. */
export const ERASED = '[erased]';

/**
 * A personal value as stored inside an event: JSON-safe, carries no plaintext.
 * `c` is base64(iv | ciphertext | tag) under the subject's data key, AAD `${s}|${context}`.
 */
export interface EncryptedField {
  readonly $pii: 1;
  /** The data subject whose key encrypts this value. A random id, never personal data. */
  readonly s: string;
  readonly c: string;
  /** Set by `PersonalDataCodec` when the plaintext is the JSON of a non-string value. */
  readonly j?: 1;
  /**
   * Set by `PersonalDataCodec` when the value holds several fields of its event, encrypted
   * together: their paths, in order (the plaintext is the JSON array of their values).
   */
  readonly g?: readonly string[];
}

export const isEncryptedField = (value: unknown): value is EncryptedField => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const field = value as Record<string, unknown>;
  return (
    field.$pii === 1 &&
    typeof field.s === 'string' &&
    field.s !== '' &&
    typeof field.c === 'string' &&
    (field.j === undefined || field.j === 1) &&
    (field.g === undefined ||
      (Array.isArray(field.g) &&
        field.g.length > 0 &&
        field.g.every((path) => typeof path === 'string' && path !== '')))
  );
};

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const aad = (subjectId: string, context: string): Buffer =>
  Buffer.from(`${subjectId}|${context}`, 'utf8');

/** AES-256-GCM with a fresh 12-byte IV, bound to the subject and the field's context. */
export const encryptWithDataKey = (
  dataKey: KeyObject | Buffer,
  subjectId: string,
  context: string,
  plaintext: string,
): EncryptedField => {
  const iv = randomPool.take(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(aad(subjectId, context));
  const body = cipher.update(plaintext, 'utf8');
  const rest = cipher.final(); // empty for GCM, a stream mode
  return {
    $pii: 1,
    s: subjectId,
    c: Buffer.concat([iv, body, rest, cipher.getAuthTag()]).toString('base64'),
  };
};

/** Throws `CIPHERTEXT_INVALID` when the value was altered or moved to another subject or context. */
export const decryptWithDataKey = (
  dataKey: KeyObject | Buffer,
  field: EncryptedField,
  context: string,
): string => {
  const bytes = Buffer.from(field.c, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `the encrypted field of subject ${field.s} is truncated`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(aad(field.s, context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `the encrypted field of subject ${field.s} does not authenticate in context '${context}': ` +
        'it was altered, or moved from another subject or field',
    );
  }
};
