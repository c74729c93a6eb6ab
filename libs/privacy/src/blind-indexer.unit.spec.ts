import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { BlindIndexer } from './blind-indexer.js';
import { LocalKeyEncryptionKey } from './key-encryption-key.js';

describe('BlindIndexer', () => {
  describe('When indexing a value', () => {
    it('should give the same hex digest for the same tenant, key and value', () => {
      const key = randomBytes(32);
      const tenantId = randomUUID();
      const a = new BlindIndexer(new LocalKeyEncryptionKey(key)).index(
        tenantId,
        'ada@example.test',
      );
      const b = new BlindIndexer(new LocalKeyEncryptionKey(key)).index(
        tenantId,
        'ada@example.test',
      );
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(a).toBe(b);
    });

    it('should differ per tenant and per key-encryption key', () => {
      const kek = LocalKeyEncryptionKey.generate();
      const tenantId = randomUUID();
      const value = 'ada@example.test';
      const base = new BlindIndexer(kek).index(tenantId, value);
      expect(new BlindIndexer(kek).index(randomUUID(), value)).not.toBe(base);
      expect(new BlindIndexer(LocalKeyEncryptionKey.generate()).index(tenantId, value)).not.toBe(
        base,
      );
    });

    it('should not be an unkeyed hash of the value', () => {
      const value = `canary-${randomUUID()}@example.test`;
      const index = new BlindIndexer(LocalKeyEncryptionKey.generate()).index(randomUUID(), value);
      expect(index).not.toBe(createHash('sha256').update(value).digest('hex'));
      expect(index).not.toContain(Buffer.from(value).toString('hex').slice(0, 16));
    });
  });
});
