import { randomUUID } from 'node:crypto';

import type { DataSource } from 'typeorm';

import {
  type AppliedRetentionPolicy,
  type RetentionPolicyKind,
  isRetentionPolicyKind,
  retentionDecider,
  toRetentionStreamId,
} from '#domain';
import type { Position } from '#event-store';
import { RecipientEntity, TenantEntity } from '#projections';

import type { CommandExecutor } from '../commands/command-executor.js';
import type { Audience } from './audience.service.js';

export interface RetentionRunReport {
  runId: string;
  tenantId: string;
  startedAt: string;
  finishedAt: string;
  policies: AppliedRetentionPolicy[];
  recipientsErased: number;
}

const DAY_MS = 24 * 3600 * 1000;
const PAGE = 500;
export const RETENTION_ACTOR = 'system:retention';

/**
 * Applies each tenant's retention policies (policy §7): finds what is older than a policy allows
 * in the read models and removes it through the normal compensating path (an erasure per
 * recipient, with legal basis `retention`), then records the run with its counts on the tenant's
 * retention stream. Running it again at once finds nothing more to remove.
 */
export class RetentionRunner {
  constructor(
    private readonly deps: {
      audience: Audience;
      executor: CommandExecutor;
      readModels: DataSource;
    },
  ) {}

  async run(options: { now: Date; tenantId?: string }): Promise<RetentionRunReport[]> {
    const query = this.deps.readModels
      .getRepository(TenantEntity)
      .createQueryBuilder('t')
      .where(`t.retention_policies <> '{}'::jsonb`);
    if (options.tenantId) query.andWhere('t.tenant_id = :tenantId', { tenantId: options.tenantId });
    const tenants = await query.orderBy('t.tenant_id').getMany();
    const reports: RetentionRunReport[] = [];
    for (const tenant of tenants) reports.push(await this.runTenant(tenant, options.now));
    return reports;
  }

  private async runTenant(tenant: TenantEntity, now: Date): Promise<RetentionRunReport> {
    const runId = randomUUID();
    const startedAt = now.toISOString();
    const context = { tenantId: tenant.tenantId, actor: RETENTION_ACTOR };
    const policies: AppliedRetentionPolicy[] = [];
    let recipientsErased = 0;
    let position: Position | undefined;
    for (const [kind, days] of Object.entries(tenant.retentionPolicies)) {
      if (!isRetentionPolicyKind(kind)) continue;
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      let removed = 0;
      if (kind !== 'delivery_details') {
        const seen = new Set<string>();
        for (;;) {
          // A read model that has not caught up yet shows erased recipients again: skip them,
          // and stop when a page holds nothing new (the next run picks up the rest).
          const ids = (await this.candidates(tenant.tenantId, kind, cutoff)).filter(
            (id) => !seen.has(id),
          );
          if (ids.length === 0) break;
          for (const recipientId of ids) {
            seen.add(recipientId);
            const erased = await this.deps.audience.erase(context, {
              recipientId,
              basis: 'retention',
              reference: `retention:${kind}`,
              now,
              waitForReadModels: false,
            });
            if (!erased.alreadyErased) removed++;
            position = erased.position ?? position;
          }
          // The next page is read from the read models: let them catch up with these erasures.
          await this.deps.audience.waitForReadModels(position);
        }
      }
      // delivery_details: message-level records arrive with campaign delivery; nothing to drop yet.
      policies.push({ kind, days, cutoff: cutoff.toISOString(), removed });
      recipientsErased += kind === 'delivery_details' ? 0 : removed;
    }
    const result = await this.deps.executor.handle(
      toRetentionStreamId(tenant.tenantId),
      retentionDecider,
      {
        type: 'RecordRetentionRun',
        data: { tenantId: tenant.tenantId, runId, startedAt, policies, recipientsErased },
        metadata: { now: new Date(Math.max(Date.now(), now.getTime())) },
      },
      context,
    );
    return { ...result.events[0]!.data };
  }

  /** Active recipients a policy removes, one page at a time (each page is erased before the next). */
  private async candidates(
    tenantId: string,
    kind: Exclude<RetentionPolicyKind, 'delivery_details'>,
    cutoff: Date,
  ): Promise<string[]> {
    const query = this.deps.readModels
      .getRepository(RecipientEntity)
      .createQueryBuilder('r')
      .select('r.recipient_id', 'id')
      .where(`r.tenant_id = :tenantId AND r.status = 'active' AND r.updated_at < :cutoff`, {
        tenantId,
        cutoff,
      });
    if (kind === 'unsubscribed_recipients') {
      // Left every list they were on: no live membership, and at least one they left (or all).
      query
        .andWhere(
          `NOT EXISTS (SELECT 1 FROM recipient_memberships m
             WHERE m.recipient_id = r.recipient_id AND m.status IN ('subscribed', 'pending'))`,
        )
        .andWhere(
          `(r.unsubscribed_all OR EXISTS (SELECT 1 FROM recipient_memberships m
             WHERE m.recipient_id = r.recipient_id AND m.status = 'unsubscribed'))`,
        );
    }
    const rows = await query.orderBy('r.recipient_id').limit(PAGE).getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }
}
