import { randomBytes, randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  type EncryptedField,
  decryptWithDataKey,
  encryptWithDataKey,
  isEncryptedField,
} from './encrypted-field.js';
import { PrivacyError } from './privacy.errors.js';

const expectCode = (action: () => unknown, code: string): void => {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PrivacyError);
  expect((thrown as PrivacyError).code).toBe(code);
};

/** Flips one bit of the decoded ciphertext at `index` (negative: from the end). */
const flipByte = (field: EncryptedField, index: number): EncryptedField => {
  const bytes = Buffer.from(field.c, 'base64');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return { ...field, c: bytes.toString('base64') };
};

describe('Encrypted field', () => {
  describe('When a value is encrypted under a data key', () => {
    it('should decrypt back to the same text in the same context', () => {
      const key = randomBytes(32);
      const subjectId = randomUUID();
      const field = encryptWithDataKey(key, subjectId, 'RecipientAdded.email', 'ada@example.test');

      expect(field).toEqual({ $pii: 1, s: subjectId, c: expect.any(String) });
      expect(decryptWithDataKey(key, field, 'RecipientAdded.email')).toBe('ada@example.test');
    });

    it('should keep unicode and the empty string intact', () => {
      const key = randomBytes(32);
      const subjectId = randomUUID();
      for (const text of ['', 'Zoë Ångström 🦊', 'x'.repeat(10_000)]) {
        expect(decryptWithDataKey(key, encryptWithDataKey(key, subjectId, 'c', text), 'c')).toBe(
          text,
        );
      }
    });

    it('should never produce the same ciphertext twice (fresh IV)', () => {
      const key = randomBytes(32);
      const subjectId = randomUUID();
      const a = encryptWithDataKey(key, subjectId, 'c', 'same');
      const b = encryptWithDataKey(key, subjectId, 'c', 'same');
      expect(a.c).not.toBe(b.c);
    });

    it('should not contain the plaintext, plainly or as base64', () => {
      const marker = `canary-${randomUUID()}`;
      const field = encryptWithDataKey(randomBytes(32), randomUUID(), 'c', marker);
      const json = JSON.stringify(field);
      expect(json).not.toContain(marker);
      expect(json).not.toContain(Buffer.from(marker).toString('base64').slice(0, 20));
    });
  });

  describe('When the ciphertext is moved', () => {
    it('should refuse it under another subject', () => {
      const key = randomBytes(32);
      const field = encryptWithDataKey(
        key,
        randomUUID(),
        'RecipientAdded.email',
        'ada@example.test',
      );
      expectCode(
        () => decryptWithDataKey(key, { ...field, s: randomUUID() }, 'RecipientAdded.email'),
        'CIPHERTEXT_INVALID',
      );
    });

    it('should refuse it in another context (field or event type)', () => {
      const key = randomBytes(32);
      const field = encryptWithDataKey(
        key,
        randomUUID(),
        'RecipientAdded.email',
        'ada@example.test',
      );
      expectCode(() => decryptWithDataKey(key, field, 'RecipientAdded.name'), 'CIPHERTEXT_INVALID');
      expectCode(
        () => decryptWithDataKey(key, field, 'RecipientCorrected.email'),
        'CIPHERTEXT_INVALID',
      );
    });

    it('should refuse it under another data key', () => {
      const field = encryptWithDataKey(randomBytes(32), randomUUID(), 'c', 'secret');
      expectCode(() => decryptWithDataKey(randomBytes(32), field, 'c'), 'CIPHERTEXT_INVALID');
    });
  });

  describe('When the ciphertext is tampered with', () => {
    it('should detect a changed IV, body or tag', () => {
      const key = randomBytes(32);
      const field = encryptWithDataKey(key, randomUUID(), 'c', 'secret value');
      for (const index of [0, 12, 15, -1]) {
        expectCode(
          () => decryptWithDataKey(key, flipByte(field, index), 'c'),
          'CIPHERTEXT_INVALID',
        );
      }
    });

    it('should detect a truncated ciphertext', () => {
      const key = randomBytes(32);
      const field = encryptWithDataKey(key, randomUUID(), 'c', 'secret value');
      const short = Buffer.from(field.c, 'base64').subarray(0, 20).toString('base64');
      expectCode(() => decryptWithDataKey(key, { ...field, c: short }, 'c'), 'CIPHERTEXT_INVALID');
      expectCode(() => decryptWithDataKey(key, { ...field, c: '' }, 'c'), 'CIPHERTEXT_INVALID');
    });
  });

  describe('When recognising an encrypted field', () => {
    it('should accept what encryption produces, with or without the JSON flag', () => {
      const field = encryptWithDataKey(randomBytes(32), randomUUID(), 'c', 'v');
      expect(isEncryptedField(field)).toBe(true);
      expect(isEncryptedField({ ...field, j: 1 })).toBe(true);
      expect(isEncryptedField(JSON.parse(JSON.stringify(field)))).toBe(true);
    });

    it('should reject anything else', () => {
      for (const value of [
        null,
        undefined,
        'text',
        42,
        [],
        {},
        { $pii: 2, s: 'a', c: 'b' },
        { $pii: 1, s: '', c: 'b' },
        { $pii: 1, s: 'a' },
        { $pii: 1, s: 'a', c: 3 },
        { $pii: 1, s: 'a', c: 'b', j: true },
      ]) {
        expect(isEncryptedField(value)).toBe(false);
      }
    });
  });
});
