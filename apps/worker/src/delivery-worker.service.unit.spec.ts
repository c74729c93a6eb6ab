import { describe, expect, it } from '@jest/globals';

import type { DeliveryRunReport, MailpackrRuntime } from '#platform';

import { DeliveryWorkerService } from './delivery-worker.service.js';

/**
 * The service's loop over `runtime.delivery`: only `batchSize` and `runOnce` are used, so the
 * runtime is a stand-in holding a delivery that hands out the given due counts and, like the real
 * one, grows its run size after a full run.
 */
const runtimeWith = (dueCounts: number[], sizes: number[]) => {
  let size = sizes[0]!;
  const calls: number[] = [];
  const delivery = {
    get batchSize() {
      return size;
    },
    runOnce: (): Promise<DeliveryRunReport> => {
      const due = Math.min(dueCounts.shift() ?? 0, size);
      calls.push(size);
      if (due === size) size = sizes[calls.length] ?? size;
      return Promise.resolve({
        due,
        sent: due,
        deferred: 0,
        bounced: 0,
        failed: 0,
        cancelled: 0,
        skipped: 0,
        errors: 0,
        completed: 0,
      });
    },
  };
  return { runtime: { delivery } as unknown as MailpackrRuntime, calls };
};

describe('DeliveryWorkerService', () => {
  describe('Given more messages due than one run takes', () => {
    it('should run again at once after every full run, even when the run size grew after it', async () => {
      // Runs of 200, then 500, then 1000: 200 + 500 + 1000 + 300 due.
      const { runtime, calls } = runtimeWith([200, 500, 1000, 300], [200, 500, 1000, 1000]);
      await new DeliveryWorkerService(runtime).runOnce();
      expect(calls).toEqual([200, 500, 1000, 1000]);
    });

    it('should stop after a run that was not full (the rest waits for the next interval)', async () => {
      const { runtime, calls } = runtimeWith([200, 120, 500], [200, 500]);
      await new DeliveryWorkerService(runtime).runOnce();
      expect(calls).toEqual([200, 500]);
    });
  });
});
