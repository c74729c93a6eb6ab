import type { Server } from 'node:http';

import type { INestApplicationContext } from '@nestjs/common';

export interface ShutdownLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface GracefulShutdownOptions {
  /** The Nest app (API) or application context (worker): its shutdown hooks run on `close()`. */
  app: INestApplicationContext;
  /** The HTTP side, for the API: closed first, so no new request is taken. */
  http?: { adapter: { close(): Promise<unknown> | undefined }; server: Server };
  /** Marks the process not ready (`/ready` → 503 shutting_down) as the first step. */
  readiness?: { markShuttingDown(): void };
  /** Closes pools and stores, after the app: `MailpackrRuntime.close`. */
  closeRuntime: () => Promise<void>;
  logger: ShutdownLogger;
  /** Past this, the process exits with 1 whatever is still running. */
  timeoutMs: number;
  signals?: readonly NodeJS.Signals[];
  /** `process.exit` (injected in tests). */
  exit?: (code: number) => void;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * On SIGTERM or SIGINT: not ready at once; the HTTP server stops taking connections and requests
 * in flight finish (kept-alive connections are closed as they fall idle, a new request on one
 * gets 503); then the app's shutdown hooks run (`beforeApplicationShutdown`: the worker's
 * delivery, scheduler and retention rounds under way finish and write their outcomes;
 * `onApplicationShutdown`: projections commit the batch and checkpoint in hand and stop); then
 * pools and stores close and the process exits 0. A second signal exits at once (128 + signal),
 * and so does the timeout (1).
 *
 * Nest's own `enableShutdownHooks` is not used: it re-raises the signal once the app is closed,
 * so the process would end by the signal (not 0) before the runtime's pools are closed.
 */
export const installGracefulShutdown = (options: GracefulShutdownOptions): (() => void) => {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;

  const shutdown = async (): Promise<void> => {
    options.readiness?.markShuttingDown();
    if (options.http) {
      const { server } = options.http;
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      idle.unref();
      try {
        await options.http.adapter.close();
      } finally {
        clearInterval(idle);
      }
      logger.log('HTTP server closed: requests in flight have been answered');
    }
    await options.app.close();
    await options.closeRuntime();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      exit(SIGNAL_EXIT[signal] ?? 1);
      return;
    }
    stopping = true;
    logger.log(
      `${signal}: shutting down; in-flight work gets up to ${options.timeoutMs} ms (MAILPACKR_SHUTDOWN_TIMEOUT_MS)`,
    );
    const timer = setTimeout(() => {
      logger.error(`Shutdown did not finish within ${options.timeoutMs} ms: exiting`);
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    shutdown().then(
      () => {
        clearTimeout(timer);
        logger.log('Shut down cleanly');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error(
          `Shutdown failed: ${error instanceof Error ? error.message : 'unknown error'}`,
        );
        exit(1);
      },
    );
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
};
