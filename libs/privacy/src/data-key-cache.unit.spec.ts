import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { type CachedSubjectKey, DataKeyCache } from './data-key-cache.js';

const anEntry = (): CachedSubjectKey => ({
  key: createSecretKey(randomBytes(32)),
  tenantId: randomUUID(),
});

describe('DataKeyCache', () => {
  describe('When full', () => {
    it('should drop the least recently used subject', () => {
      const cache = new DataKeyCache({ maxEntries: 2 });
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      cache.set(a, anEntry());
      cache.set(b, anEntry());
      cache.get(a);
      cache.set(c, anEntry());

      expect(cache.get(a)).toBeDefined();
      expect(cache.get(b)).toBeUndefined();
      expect(cache.get(c)).toBeDefined();
      expect(cache.size).toBe(2);
    });
  });

  describe('When an entry outlives its time to live', () => {
    it('should forget it, so another process\u2019s shred takes effect', () => {
      let now = 1_000;
      const cache = new DataKeyCache({ ttlMs: 60_000, now: () => now });
      const subjectId = randomUUID();
      cache.set(subjectId, anEntry());

      now += 59_999;
      expect(cache.get(subjectId)).toBeDefined();
      now += 60_000;
      expect(cache.get(subjectId)).toBeUndefined();
      expect(cache.size).toBe(0);
    });
  });

  describe('When caching is turned off', () => {
    it('should keep nothing', () => {
      const cache = new DataKeyCache({ maxEntries: 0 });
      const subjectId = randomUUID();
      cache.set(subjectId, anEntry());
      expect(cache.get(subjectId)).toBeUndefined();
    });
  });

  describe('When a subject is deleted or the cache cleared', () => {
    it('should forget it', () => {
      const cache = new DataKeyCache();
      const [a, b] = [randomUUID(), randomUUID()];
      cache.set(a, anEntry());
      cache.set(b, anEntry());
      cache.delete(a);
      expect(cache.get(a)).toBeUndefined();
      cache.clear();
      expect(cache.get(b)).toBeUndefined();
    });
  });
});
