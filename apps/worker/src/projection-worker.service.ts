import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import type { MailpackrRuntime } from '#platform';

import { WORKER_RUNTIME } from './worker.tokens.js';

/** Keeps every read model up to date from the event log's subscription. */
@Injectable()
export class ProjectionWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');

  constructor(@Inject(WORKER_RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.projections.start();
    this.logger.log(
      `Running ${this.runtime.projections.projections.map((p) => p.name).join(', ')}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.projections.stop();
  }
}
