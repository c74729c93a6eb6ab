import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';

import { type MailpackrRuntime, redactEmails } from '#platform';

import { PeriodicTask } from './periodic-task.js';
import { WORKER_RUNTIME } from './worker.tokens.js';

/**
 * Runs the campaign scheduler every `MAILPACKR_SCHEDULER_INTERVAL_MS` (0: off): launches due
 * campaigns and finishes interrupted launches and cancellations. Several workers may run; the
 * scheduler's advisory lock lets one of them work at a time. Ids and counts only in the logs.
 */
@Injectable()
export class SchedulerWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly periodic = new PeriodicTask(() => this.runOnce());

  constructor(@Inject(WORKER_RUNTIME) private readonly runtime: MailpackrRuntime) {}

  onApplicationBootstrap(): void {
    const interval = this.runtime.config.MAILPACKR_SCHEDULER_INTERVAL_MS;
    if (interval === 0) return;
    this.periodic.start(interval);
  }

  /**
   * Before the projections stop (they do on application shutdown): the round under way finishes
   * and its outcomes are written while the read models it waits for are still kept up to date.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async runOnce(): Promise<void> {
    try {
      const run = await this.runtime.scheduler.runOnce({ now: new Date() });
      for (const launch of run.launches) {
        if (launch.appended > 0 || launch.interrupted) {
          this.logger.log(
            `Campaign ${launch.campaignId}: ${launch.appended} of ${launch.recipients} messages queued (${launch.status})`,
          );
        }
      }
      for (const failure of run.failures) {
        this.logger.warn(`Campaign ${failure.campaignId}: ${redactEmails(failure.error)}`);
      }
    } catch (error) {
      this.logger.error(
        `Scheduler run failed: ${error instanceof Error ? redactEmails(error.message) : 'unknown error'}`,
      );
    }
  }
}
