import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';

import {
  type EraseAccount,
  type RetentionPolicyKind as DomainRetentionPolicyKind,
  tenantDecider,
  toTenantStreamId,
} from '#domain';
import type { MailpackrRuntime, RetentionRunReport } from '#platform';
import { TenantEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  AccountDataExport,
  AccountErasure,
  RetentionPolicy,
  RetentionPolicyKind,
  RetentionRun,
} from '../graphql/graphql.generated.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { EraseAccountInputDto, SetRetentionPolicyInputDto } from './privacy.inputs.js';

const toRun = (report: RetentionRunReport): RetentionRun => ({
  runId: report.runId,
  startedAt: new Date(report.startedAt),
  finishedAt: new Date(report.finishedAt),
  recipientsErased: report.recipientsErased,
  policies: report.policies.map((p) => ({
    kind: p.kind.toUpperCase() as RetentionPolicyKind,
    days: p.days,
    cutoff: new Date(p.cutoff),
    removed: p.removed,
  })),
});

/** Retention policies and the account holder's own rights, for the caller's tenant. */
@Resolver()
export class PrivacyResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('retentionPolicies')
  async retentionPolicies(@CurrentPrincipal() principal: Principal): Promise<RetentionPolicy[]> {
    const tenant = await this.runtime.readModels
      .getRepository(TenantEntity)
      .findOne({ where: { tenantId: principal.tenantId } });
    if (!tenant) throw new ApiError('NOT_FOUND', 'Tenant not found');
    return Object.entries(tenant.retentionPolicies)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, days]) => ({ kind: kind.toUpperCase() as RetentionPolicyKind, days }));
  }

  @Mutation('setRetentionPolicy')
  async setRetentionPolicy(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: SetRetentionPolicyInputDto,
  ): Promise<RetentionPolicy[]> {
    const result = await this.runtime.commands.handle(
      toTenantStreamId(principal.tenantId),
      tenantDecider,
      {
        type: 'SetRetentionPolicy',
        data: {
          tenantId: principal.tenantId,
          kind: input.kind.toLowerCase() as DomainRetentionPolicyKind,
          days: input.days ?? null,
        },
        metadata: { now: this.clock() },
      },
      { tenantId: principal.tenantId, actor: `api-key:${principal.apiKeyId}` },
    );
    if (result.position) {
      await this.runtime.projections.waitFor(
        result.position,
        ['tenants'],
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    }
    return this.retentionPolicies(principal);
  }

  @Mutation('runRetention')
  async runRetention(@CurrentPrincipal() principal: Principal): Promise<RetentionRun | null> {
    const [report] = await this.runtime.retention.run({
      now: this.clock(),
      tenantId: principal.tenantId,
    });
    return report ? toRun(report) : null;
  }

  @Mutation('exportAccountData')
  async exportAccountData(@CurrentPrincipal() principal: Principal): Promise<AccountDataExport> {
    const now = this.clock();
    const doc = await this.runtime.accounts.export(principal.tenantId, now);
    return { accountId: doc.account.id, generatedAt: now, json: JSON.stringify(doc, null, 2) };
  }

  @Mutation('eraseAccount')
  async eraseAccount(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: EraseAccountInputDto,
  ): Promise<AccountErasure> {
    const erased = await this.runtime.accounts.erase(
      { tenantId: principal.tenantId, actor: `api-key:${principal.apiKeyId}` },
      {
        accountId: input.accountId,
        basis: input.basis.toLowerCase() as EraseAccount['data']['basis'],
        now: this.clock(),
      },
    );
    return { ...erased, erasedAt: new Date(erased.erasedAt) };
  }
}
