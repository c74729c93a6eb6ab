import type { DataSource } from 'typeorm';

import { TenantError, tenantDecider, toTenantStreamId } from '#domain';

import type { CommandExecutor } from '../commands/command-executor.js';

export const DELIVERY_HEALTH_ACTOR = 'system:delivery-health';

/** When a tenant's sending pauses by itself (`MAILPACKR_PAUSE_*`). */
export interface SendingHealthLimits {
  /** Bounces per message with a verdict, over the window (default 0.1). */
  bounceRate: number;
  /** Complaints per message with a verdict, over the window (default 0.005). */
  complaintRate: number;
  windowHours: number;
  /** Messages with a verdict the window must hold before it can pause a tenant. */
  minMessages: number;
}

export const DEFAULT_SENDING_HEALTH: SendingHealthLimits = {
  bounceRate: 0.1,
  complaintRate: 0.005,
  windowHours: 24,
  minMessages: 100,
};

/** A tenant's figures over the window, and the pause they caused (if any). */
export interface TenantSendingHealth {
  tenantId: string;
  /** Messages a receiving server gave its verdict on (sent, or bounced at SMTP time). */
  messages: number;
  bounced: number;
  complained: number;
  bounceRate: number;
  complaintRate: number;
  paused: 'bounce_rate' | 'complaint_rate' | null;
}

const HOUR_MS = 3_600_000;

/**
 * The automatic sending pause (issue 4, item 5): a tenant whose bounce rate or complaint rate
 * over the last `windowHours` passes its limit stops sending (`TenantSendingPaused`, with the rate,
 * the limit and the window) until someone resumes it. Reads the hourly figures the messages
 * projection keeps (`tenant_delivery_hourly`), never the messages themselves. After a resume the
 * window starts at the next full hour, so the figures that caused the pause do not pause it again.
 */
export class SendingHealth {
  constructor(
    private readonly deps: {
      executor: CommandExecutor;
      readModels: DataSource;
      limits: SendingHealthLimits;
      logger?: { warn(message: string): void };
    },
  ) {}

  get limits(): SendingHealthLimits {
    return this.deps.limits;
  }

  /** The figures of these tenants over the window ending at `now` (no pause taken). */
  async measure(tenantIds: Iterable<string>, now: Date): Promise<TenantSendingHealth[]> {
    const ids = [...new Set(tenantIds)];
    if (ids.length === 0) return [];
    const { windowHours } = this.deps.limits;
    const start = new Date(
      Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (windowHours - 1) * HOUR_MS,
    );
    const rows = await this.deps.readModels.query<
      Array<{
        tenant_id: string;
        paused: boolean;
        attempted: string | number | null;
        bounced: string | number | null;
        complained: string | number | null;
      }>
    >(
      `SELECT t.tenant_id,
              t.sending_paused_at IS NOT NULL AS paused,
              s.attempted, s.bounced, s.complained
         FROM tenants t
         LEFT JOIN LATERAL (
           SELECT SUM(h.attempted) AS attempted, SUM(h.bounced) AS bounced,
                  SUM(h.complained) AS complained
             FROM tenant_delivery_hourly h
            WHERE h.tenant_id = t.tenant_id
              AND h.hour >= GREATEST(
                    $2::timestamptz,
                    COALESCE(date_trunc('hour', (t.sending_pause ->> 'resumedAt')::timestamptz, 'UTC')
                             + interval '1 hour', $2::timestamptz))
         ) s ON true
        WHERE t.tenant_id = ANY($1::uuid[])`,
      [ids, start.toISOString()],
    );
    return rows.map((row) => {
      const messages = Number(row.attempted ?? 0);
      const bounced = Number(row.bounced ?? 0);
      const complained = Number(row.complained ?? 0);
      const figures = {
        tenantId: row.tenant_id,
        messages,
        bounced,
        complained,
        bounceRate: messages > 0 ? bounced / messages : 0,
        complaintRate: messages > 0 ? complained / messages : 0,
      };
      // A tenant paused already is not paused again.
      return { ...figures, paused: row.paused ? null : this.#verdict(figures) };
    });
  }

  /**
   * Measures these tenants and pauses each one over a limit (complaints first: they weigh more
   * with mailbox providers). Idempotent: a paused tenant is not paused again.
   */
  async check(tenantIds: Iterable<string>, now: Date): Promise<TenantSendingHealth[]> {
    const measured = await this.measure(tenantIds, now);
    for (const health of measured) {
      if (!health.paused) continue;
      const { limits } = this.deps;
      const complaint = health.paused === 'complaint_rate';
      try {
        const result = await this.deps.executor.handle(
          toTenantStreamId(health.tenantId),
          tenantDecider,
          {
            type: 'PauseTenantSending',
            data: {
              tenantId: health.tenantId,
              reason: health.paused,
              measured: {
                rate: round(complaint ? health.complaintRate : health.bounceRate),
                threshold: complaint ? limits.complaintRate : limits.bounceRate,
                windowHours: limits.windowHours,
                messages: health.messages,
              },
            },
            metadata: { now },
          },
          { tenantId: health.tenantId, actor: DELIVERY_HEALTH_ACTOR },
        );
        if (result.events.length > 0) {
          this.deps.logger?.warn(
            `Tenant ${health.tenantId}: sending paused (${health.paused}: ${health.bounced} bounces, ` +
              `${health.complained} complaints in ${health.messages} messages)`,
          );
        }
      } catch (error) {
        if (!(error instanceof TenantError)) throw error;
      }
    }
    return measured;
  }

  #verdict(health: Omit<TenantSendingHealth, 'paused'>): TenantSendingHealth['paused'] {
    const { limits } = this.deps;
    if (health.messages < limits.minMessages) return null;
    if (health.complaintRate > limits.complaintRate) return 'complaint_rate';
    if (health.bounceRate > limits.bounceRate) return 'bounce_rate';
    return null;
  }
}

const round = (rate: number): number => Math.round(rate * 1e6) / 1e6;
