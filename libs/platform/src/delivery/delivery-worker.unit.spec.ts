import { describe, expect, it } from '@jest/globals';

import {
  DEFAULT_DELIVERY_BATCH,
  DELIVERY_ROUND_MS,
  MAX_DELIVERY_BATCH,
  nextBatchSize,
} from './delivery-worker.js';

describe('nextBatchSize', () => {
  describe('Given a full run', () => {
    it('should size the next run to what the worker sent in about a second at that pace', () => {
      // 200 messages in 400 ms: 500 a second.
      expect(nextBatchSize(200, 400)).toBe(500);
      expect(nextBatchSize(500, 625)).toBe(800);
      expect(DELIVERY_ROUND_MS).toBe(1000);
    });

    it('should never go above the ceiling, however fast the run was', () => {
      expect(nextBatchSize(1000, 100)).toBe(MAX_DELIVERY_BATCH);
      expect(nextBatchSize(200, 0)).toBe(MAX_DELIVERY_BATCH);
    });

    it('should never go below the first run size when sending is slow (a throttled tenant)', () => {
      // 200 messages in 2 s (the default 100 messages/s rate): the next run stays at 200.
      expect(nextBatchSize(200, 2000)).toBe(DEFAULT_DELIVERY_BATCH);
      // A run of 1000 that slowed to 250 a second comes down to 250.
      expect(nextBatchSize(1000, 4000)).toBe(250);
    });
  });
});
