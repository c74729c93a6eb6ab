import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import {
  MailpackrRuntime,
  createLogger,
  installGracefulShutdown,
  loadConfig,
  startOpsHttpServer,
} from '#platform';

import { WorkerModule } from './worker.module.js';

/** `npm run start:worker`: projections, scheduling and delivery without the API, for scaling out. */
const main = async (): Promise<void> => {
  const config = loadConfig();
  const logger = createLogger(config);
  const runtime = await MailpackrRuntime.start(config, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRuntime(runtime), {
    logger,
  });
  // SIGTERM / SIGINT: the rounds under way finish and write their outcomes, projections commit
  // their batch and checkpoint, pools close, exit 0 (a second signal or the timeout: at once).
  // /health, /ready and /metrics of this process, when MAILPACKR_WORKER_HTTP_PORT is set.
  const ops =
    config.MAILPACKR_WORKER_HTTP_PORT === undefined
      ? undefined
      : await startOpsHttpServer({
          config,
          metrics: runtime.metrics,
          readiness: runtime.readiness,
          host: config.HOST,
          port: config.MAILPACKR_WORKER_HTTP_PORT,
        });
  if (ops) {
    const address = ops.address();
    logger.log(
      `Health, readiness and metrics on port ${typeof address === 'object' && address ? address.port : '?'}`,
      'Worker',
    );
  }
  installGracefulShutdown({
    app,
    ...(ops
      ? {
          http: {
            adapter: { close: () => new Promise<void>((resolve) => ops.close(() => resolve())) },
            server: ops,
          },
        }
      : {}),
    readiness: runtime.readiness,
    closeRuntime: () => runtime.close(),
    logger: {
      log: (m) => logger.log(m, 'Shutdown'),
      warn: (m) => logger.warn(m, 'Shutdown'),
      error: (m) => logger.error(m, 'Shutdown'),
    },
    timeoutMs: config.MAILPACKR_SHUTDOWN_TIMEOUT_MS,
  });
};

main().catch((error: unknown) => {
  process.stderr.write(
    `MailPackr worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
