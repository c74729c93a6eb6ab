import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { MailpackrRuntime, createLogger, loadConfig } from '#platform';

import { WorkerModule } from './worker.module.js';

/** `npm run start:worker`: projections, scheduling and delivery without the API, for scaling out. */
const main = async (): Promise<void> => {
  const config = loadConfig();
  const logger = createLogger(config);
  const runtime = await MailpackrRuntime.start(config, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRuntime(runtime), {
    logger,
  });
  app.enableShutdownHooks();
  process.once('SIGTERM', () => void app.close().then(() => runtime.close()));
  process.once('SIGINT', () => void app.close().then(() => runtime.close()));
};

main().catch((error: unknown) => {
  process.stderr.write(
    `MailPackr worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
