import { type DynamicModule, Module } from '@nestjs/common';

import type { MailpackrRuntime } from '#platform';

import { DeliveryWorkerService } from './delivery-worker.service.js';
import { InboundMailService } from './inbound-mail.service.js';
import { ProjectionWorker } from './projection-worker.service.js';
import { RetentionWorker } from './retention-worker.service.js';
import { SchedulerWorker } from './scheduler-worker.service.js';
import { WORKER_RUNTIME } from './worker.tokens.js';

/**
 * The long-running side: projections, retention, the campaign scheduler, delivery and the
 * inbound listener for bounces.
 */
@Module({})
export class WorkerModule {
  static forRuntime(runtime: MailpackrRuntime): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_RUNTIME, useValue: runtime },
        ProjectionWorker,
        RetentionWorker,
        SchedulerWorker,
        DeliveryWorkerService,
        InboundMailService,
      ],
    };
  }
}
