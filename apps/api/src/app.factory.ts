import type { ConsoleLogger, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import type { MailpackrRuntime } from '#platform';

import { WorkerModule } from '../../worker/src/worker.module.js';
import { AppModule } from './app.module.js';

/** Builds the Nest app for a started runtime: the API, plus the worker when MODE is `all`. */
export const createApp = async (
  runtime: MailpackrRuntime,
  logger: ConsoleLogger | false,
  clock?: () => Date,
): Promise<INestApplication> => {
  const modules = [AppModule.forRuntime(runtime, clock)];
  if (runtime.config.MAILPACKR_MODE === 'all') modules.push(WorkerModule.forRuntime(runtime));
  const root = { module: class MailpackrModule {}, imports: modules };
  return NestFactory.create(root, { logger, bodyParser: true });
};
