import type { ConsoleLogger, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import type { MailpackrRuntime } from '#platform';

import { WorkerModule } from '../../worker/src/worker.module.js';
import { AppModule } from './app.module.js';

export const REQUEST_BODY_LIMIT = '2mb';

/** Builds the Nest app for a started runtime: the API, plus the worker when MODE is `all`. */
export const createApp = async (
  runtime: MailpackrRuntime,
  logger: ConsoleLogger | false,
  clock?: () => Date,
): Promise<INestApplication> => {
  const modules = [AppModule.forRuntime(runtime, clock)];
  if (runtime.config.MAILPACKR_MODE === 'all') modules.push(WorkerModule.forRuntime(runtime));
  const root = { module: class MailpackrModule {}, imports: modules };
  const app = await NestFactory.create<NestExpressApplication>(root, { logger, bodyParser: true });
  // A campaign's MJML body may be up to 512 KiB; the default JSON limit (100 kB) would refuse it.
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT });
  return app;
};
