import type { Server } from 'node:http';

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';

import { installGracefulShutdown } from './graceful-shutdown.js';

describe('Graceful shutdown', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => {
    uninstall?.();
    jest.useRealTimers();
  });

  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  const setup = (appClose: () => Promise<void>, timeoutMs = 30_000) => {
    const steps: string[] = [];
    const exits: number[] = [];
    const exited = new Promise<number>((resolve) => {
      uninstall = installGracefulShutdown({
        app: { close: () => (steps.push('app'), appClose()) } as unknown as INestApplicationContext,
        http: {
          adapter: { close: () => (steps.push('http'), Promise.resolve()) },
          server: { closeIdleConnections: () => undefined } as unknown as Server,
        },
        readiness: { markShuttingDown: () => steps.push('not ready') },
        closeRuntime: () => (steps.push('runtime'), Promise.resolve()),
        logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
        timeoutMs,
        signals: ['SIGUSR2'],
        exit: (code) => {
          exits.push(code);
          resolve(code);
        },
      });
    });
    return { steps, exits, exited };
  };

  describe('When a signal comes', () => {
    it('should go not ready, close HTTP, then the app, then the runtime, and exit 0', async () => {
      const { steps, exited } = setup(() => Promise.resolve());
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(await exited).toBe(0);
      expect(steps).toEqual(['not ready', 'http', 'app', 'runtime']);
    });
  });

  describe('When a second signal comes while the app is still closing', () => {
    it('should exit at once, without waiting', async () => {
      const closing = deferred();
      const { steps, exits } = setup(() => closing.promise);
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((resolve) => setImmediate(resolve));
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(exits).toEqual([1]);
      expect(steps).not.toContain('runtime');
      closing.resolve();
    });
  });

  describe('When closing takes longer than the timeout', () => {
    it('should exit with 1', async () => {
      jest.useFakeTimers();
      const { exits } = setup(() => new Promise(() => undefined), 5000);
      process.emit('SIGUSR2', 'SIGUSR2');
      await jest.advanceTimersByTimeAsync(4900);
      expect(exits).toEqual([]);
      await jest.advanceTimersByTimeAsync(200);
      expect(exits).toEqual([1]);
    });
  });
});
