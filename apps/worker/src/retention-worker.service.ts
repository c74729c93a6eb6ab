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

/** Serialises retention runs across worker processes ('mp' + 4). */
const RETENTION_LOCK = 0x6d70_0004;

/**
 * Applies every tenant's retention policies on a schedule. Several workers may run: a session
 * advisory lock lets one of them run at a time (the others skip that round). Counts only are
 * logged, never what was removed.
 */
@Injectable()
export class RetentionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly periodic = new PeriodicTask(() => this.runOnce());

  constructor(@Inject(WORKER_RUNTIME) private readonly runtime: MailpackrRuntime) {}

  onApplicationBootstrap(): void {
    const minutes = this.runtime.config.MAILPACKR_RETENTION_INTERVAL_MINUTES;
    if (minutes === 0) return;
    this.periodic.start(minutes * 60_000);
  }

  /**
   * Before the projections stop (they do on application shutdown): the round under way finishes
   * and its outcomes are written while the read models it waits for are still kept up to date.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async runOnce(): Promise<void> {
    const client = await this.runtime.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [RETENTION_LOCK],
      );
      if (!rows[0]?.locked) return;
      try {
        for (const run of await this.runtime.retention.run({ now: new Date() })) {
          this.logger.log(
            `Tenant ${run.tenantId}: ${run.recipientsErased} recipients erased (run ${run.runId})`,
          );
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      }
    } catch (error) {
      this.logger.error(
        `Retention run failed: ${error instanceof Error ? redactEmails(error.message) : 'unknown error'}`,
      );
    } finally {
      client.release();
    }
  }
}
