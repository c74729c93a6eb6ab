import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import { describe, expect, it } from '@jest/globals';

import { LocalKeyEncryptionKey, loadKeyEncryptionKey } from './key-encryption-key.js';
import { PrivacyError } from './privacy.errors.js';

import { rejectionOf } from '../../testing/src/rejection.js';

const rejection = (promise: Promise<unknown>): Promise<PrivacyError> =>
  rejectionOf(promise, PrivacyError);

describe('LocalKeyEncryptionKey', () => {
  describe('When wrapping a data key', () => {
    it('should unwrap it back', async () => {
      const kek = LocalKeyEncryptionKey.generate();
      const dataKey = randomBytes(32);
      const wrapped = await kek.wrap(dataKey);

      expect(wrapped.equals(dataKey)).toBe(false);
      expect((await kek.unwrap(wrapped)).equals(dataKey)).toBe(true);
    });

    it('should refuse to unwrap with another key', async () => {
      const wrapped = await LocalKeyEncryptionKey.generate().wrap(randomBytes(32));
      const error = await rejection(LocalKeyEncryptionKey.generate().unwrap(wrapped));
      expect(error.code).toBe('KEY_UNWRAP_FAILED');
    });

    it('should detect a tampered or truncated wrapping', async () => {
      const kek = LocalKeyEncryptionKey.generate();
      const wrapped = await kek.wrap(randomBytes(32));
      const tampered = Buffer.from(wrapped);
      tampered[20] = (tampered[20] as number) ^ 0xff;
      expect((await rejection(kek.unwrap(tampered))).code).toBe('KEY_UNWRAP_FAILED');
      expect((await rejection(kek.unwrap(wrapped.subarray(0, 10)))).code).toBe('KEY_UNWRAP_FAILED');
    });
  });

  describe('When identified', () => {
    it('should use the first 16 hex chars of HMAC-SHA256(key, "mailpackr-kek-id")', () => {
      const key = randomBytes(32);
      const expected = createHmac('sha256', key)
        .update('mailpackr-kek-id')
        .digest('hex')
        .slice(0, 16);
      expect(new LocalKeyEncryptionKey(key).id).toBe(expected);
    });

    it('should never show the key in its id, JSON or console output', () => {
      const key = randomBytes(32);
      const kek = new LocalKeyEncryptionKey(key);
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the test checks what default stringification shows
      const shown = [kek.id, JSON.stringify(kek), inspect(kek), String(kek)].join(' ');
      expect(shown).not.toContain(key.toString('hex'));
      expect(shown).not.toContain(key.toString('base64'));
    });
  });

  describe('When deriving keys', () => {
    it('should be deterministic per key and info, and independent across them', () => {
      const key = randomBytes(32);
      const a = new LocalKeyEncryptionKey(key);
      const b = new LocalKeyEncryptionKey(key);
      expect(
        a.deriveKey('mailpackr-blind-index').equals(b.deriveKey('mailpackr-blind-index')),
      ).toBe(true);
      expect(a.deriveKey('mailpackr-blind-index').equals(a.deriveKey('other'))).toBe(false);
      expect(a.deriveKey('x').equals(LocalKeyEncryptionKey.generate().deriveKey('x'))).toBe(false);
      expect(a.deriveKey('x').equals(key)).toBe(false);
      expect(a.deriveKey('x')).toHaveLength(32);
    });
  });

  describe('When constructed from a key of the wrong size', () => {
    it('should throw KEK_INVALID', () => {
      expect(() => new LocalKeyEncryptionKey(randomBytes(16))).toThrow(PrivacyError);
    });
  });
});

describe('loadKeyEncryptionKey', () => {
  describe('When the key is given as base64', () => {
    it('should load it, ignoring surrounding whitespace', async () => {
      const key = randomBytes(32);
      const kek = await loadKeyEncryptionKey({
        base64: ` ${key.toString('base64')}\n`,
        createIfMissing: false,
      });
      expect(kek.id).toBe(new LocalKeyEncryptionKey(key).id);
    });

    it('should reject text that is not base64, without printing it', async () => {
      const secret = `${randomBytes(32).toString('base64').slice(0, 40)}!!!!`;
      const error = await rejection(
        loadKeyEncryptionKey({ base64: secret, createIfMissing: false }),
      );
      expect(error.code).toBe('KEK_INVALID');
      expect(error.message).toContain('not valid base64');
      expect(error.message).not.toContain(secret);
    });

    it('should reject base64 of the wrong length, without printing it', async () => {
      const secret = randomBytes(31).toString('base64');
      const error = await rejection(
        loadKeyEncryptionKey({ base64: secret, createIfMissing: false }),
      );
      expect(error.code).toBe('KEK_INVALID');
      expect(error.message).toContain('31 bytes, expected 32');
      expect(error.message).not.toContain(secret);
    });

    it('should reject a key given both inline and as a file', async () => {
      const error = await rejection(
        loadKeyEncryptionKey({
          base64: randomBytes(32).toString('base64'),
          file: '/nonexistent/kek',
          createIfMissing: false,
        }),
      );
      expect(error.code).toBe('KEK_INVALID');
    });
  });

  describe('When no key is configured', () => {
    it('should throw KEK_INVALID', async () => {
      const error = await rejection(loadKeyEncryptionKey({ base64: '  ', createIfMissing: true }));
      expect(error.code).toBe('KEK_INVALID');
    });
  });
});
