import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';

import { type DeliveryRunReport, type MailpackrRuntime, redactEmails } from '#platform';

import { PeriodicTask } from './periodic-task.js';
import { WORKER_RUNTIME } from './worker.tokens.js';

/**
 * Sends due campaign messages every `MAILPACKR_DELIVERY_INTERVAL_MS` (0: off). Opens the SMTP side
 * at start, so a capture port that is taken stops the process with a clear error. Any number of
 * workers may run against one database: each message is claimed before it is sent. Counts and
 * ids only in the logs.
 */
@Injectable()
export class DeliveryWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Delivery');
  private readonly periodic = new PeriodicTask(() => this.runOnce());
  private stopping = false;

  constructor(@Inject(WORKER_RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const interval = this.runtime.config.MAILPACKR_DELIVERY_INTERVAL_MS;
    if (interval === 0) return;
    const { delivery } = this.runtime;
    await delivery.open();
    this.logger.log(
      delivery.capture
        ? `Campaign mail goes to the embedded capture server (${delivery.capture.url}): .eml files in ${delivery.outboxDir}`
        : 'Campaign mail goes to SMTP_URL',
    );
    this.periodic.start(interval);
  }

  /**
   * Before the projections stop (they do on application shutdown): the round under way finishes
   * and its outcomes are written while the read models it waits for are still kept up to date.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /**
   * Runs rounds back to back while each finds a full batch (a big campaign drains at the speed
   * of the pipeline, not one batch per interval), then waits for the next interval. Each round
   * first waits, bounded, for the read models it reads, so it never picks messages this worker
   * has just sent.
   */
  async runOnce(): Promise<void> {
    const { delivery } = this.runtime;
    for (;;) {
      // The size this round takes (a full round may change it for the next one).
      const size = delivery.batchSize;
      const run = await this.round();
      if (!run || run.due < size || this.stopping) return;
    }
  }

  private async round(): Promise<DeliveryRunReport | undefined> {
    try {
      const run = await this.runtime.delivery.runOnce();
      if (run.completed > 0) this.logger.log(`${run.completed} campaign(s) completed`);
      if (run.due > 0) {
        this.logger.log(
          `${run.sent} sent, ${run.deferred} deferred, ${run.bounced} bounced, ${run.failed} failed, ` +
            `${run.cancelled} excluded, ${run.skipped} skipped, ${run.errors} errors (of ${run.due} due)`,
        );
      }
      return run;
    } catch (error) {
      this.logger.error(
        `Delivery run failed: ${error instanceof Error ? redactEmails(error.message) : 'unknown error'}`,
      );
      return undefined;
    }
  }
}
