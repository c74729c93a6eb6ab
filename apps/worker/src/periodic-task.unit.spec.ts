import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('should run the task every interval', async () => {
    let runs = 0;
    const task = new PeriodicTask(() => {
      runs++;
      return Promise.resolve();
    });
    task.start(1000);
    await jest.advanceTimersByTimeAsync(3500);
    expect(runs).toBe(3);
    await task.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
  });

  it('should never run with an interval of 0', async () => {
    let runs = 0;
    new PeriodicTask(() => {
      runs++;
      return Promise.resolve();
    }).start(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(0);
  });

  it('should skip the rounds that come while a run is going, and let stop wait for it', async () => {
    let runs = 0;
    const slow = deferred();
    const task = new PeriodicTask(async () => {
      runs++;
      await slow.promise;
    });
    task.start(1000);
    await jest.advanceTimersByTimeAsync(4500);
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    slow.resolve();
    await stopping;
    expect(stopped).toBe(true);
  });
});
