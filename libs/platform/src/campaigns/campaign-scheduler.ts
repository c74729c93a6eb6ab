import type pg from 'pg';
import type { DataSource } from 'typeorm';

import type { CampaignDelivery, LaunchReport } from './campaign-launch.js';

/** Serialises scheduler runs across worker processes ('mp' + 5). */
export const SCHEDULER_LOCK = 0x6d70_0005;

export const SCHEDULER_ACTOR = 'system:scheduler';

/** Campaigns looked at per run; the next run takes the rest. */
const MAX_PER_RUN = 100;

export interface SchedulerLogger {
  log(message: string): void;
  error(message: string): void;
}

export interface SchedulerRunReport {
  /** Another process held the scheduler lock: this run did nothing. */
  skipped: boolean;
  launches: LaunchReport[];
  /** Cancelled campaigns whose waiting messages this run cancelled, and how many. */
  sweeps: Array<{ campaignId: string; cancelledMessages: number }>;
  failures: Array<{ campaignId: string; error: string }>;
}

/**
 * Launches campaigns whose `sendAt` has passed, and finishes launches and cancellations that a
 * crash interrupted. One process at a time (a session advisory lock; the others skip the round),
 * and every step is idempotent, so a restart mid-launch never queues a message twice.
 */
export class CampaignScheduler {
  constructor(
    private readonly deps: {
      delivery: CampaignDelivery;
      pool: pg.Pool;
      readModels: DataSource;
      logger?: SchedulerLogger;
    },
  ) {}

  async runOnce(input: { now: Date }): Promise<SchedulerRunReport> {
    const report: SchedulerRunReport = { skipped: false, launches: [], sweeps: [], failures: [] };
    const client = await this.deps.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [SCHEDULER_LOCK],
      );
      if (!rows[0]?.locked) return { ...report, skipped: true };
      try {
        await this.launchDue(input.now, report);
        await this.sweepCancelled(input.now, report);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEDULER_LOCK]);
      }
    } finally {
      client.release();
    }
    return report;
  }

  /** Scheduled campaigns that are due, and launches that never completed. */
  private async launchDue(now: Date, report: SchedulerRunReport): Promise<void> {
    const due = await this.deps.readModels.query<Array<{ campaign_id: string; tenant_id: string }>>(
      `SELECT campaign_id, tenant_id FROM campaigns
        WHERE deleted_at IS NULL
          AND ((status = 'SCHEDULED' AND send_at <= $1)
               OR (status IN ('SENDING', 'PAUSED') AND queued_at IS NULL))
        ORDER BY send_at NULLS FIRST, campaign_id
        LIMIT $2`,
      [now.toISOString(), MAX_PER_RUN],
    );
    for (const { campaign_id: campaignId, tenant_id: tenantId } of due) {
      try {
        const launch = await this.deps.delivery.launch(
          { tenantId, actor: SCHEDULER_ACTOR },
          { campaignId, now, onlyIfDue: true },
        );
        report.launches.push(launch);
        this.deps.logger?.log(
          `Campaign ${campaignId}: ${launch.recipients} messages, ${launch.appended} queued now (${launch.status})`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : 'unknown error';
        report.failures.push({ campaignId, error: message });
        this.deps.logger?.error(`Campaign ${campaignId} launch failed: ${message}`);
      }
    }
  }

  /** Cancelled campaigns that still have messages waiting (a cancel interrupted by a crash). */
  private async sweepCancelled(now: Date, report: SchedulerRunReport): Promise<void> {
    const cancelled = await this.deps.readModels.query<
      Array<{ campaign_id: string; tenant_id: string }>
    >(
      `SELECT c.campaign_id, c.tenant_id FROM campaigns c
         JOIN campaign_delivery d ON d.campaign_id = c.campaign_id
        WHERE c.status = 'CANCELLED' AND (d.queued > 0 OR d.deferred > 0)
        ORDER BY c.campaign_id
        LIMIT $1`,
      [MAX_PER_RUN],
    );
    for (const { campaign_id: campaignId, tenant_id: tenantId } of cancelled) {
      try {
        const cancelledMessages = await this.deps.delivery.cancelMessages(
          { tenantId, actor: SCHEDULER_ACTOR },
          campaignId,
          now,
        );
        report.sweeps.push({ campaignId, cancelledMessages });
      } catch (error) {
        const message = error instanceof Error ? error.message : 'unknown error';
        report.failures.push({ campaignId, error: message });
        this.deps.logger?.error(`Campaign ${campaignId} cancel sweep failed: ${message}`);
      }
    }
  }
}
