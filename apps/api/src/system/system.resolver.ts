import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';

import type { MailpackrRuntime } from '#platform';
import { TenantEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type { ApiKeyRole, ProjectionStatus, TenantPlan, Viewer } from '../graphql/graphql.generated.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

@Resolver()
export class SystemResolver {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Query('viewer')
  async viewer(@CurrentPrincipal() principal: Principal): Promise<Viewer> {
    const tenant = await this.runtime.readModels.getRepository(TenantEntity).findOne({ where: { tenantId: principal.tenantId } });
    if (!tenant) throw new ApiError('NOT_FOUND', 'Tenant not found');
    return {
      tenant: { id: tenant.tenantId, name: tenant.name, plan: tenant.plan.toUpperCase() as TenantPlan, createdAt: tenant.createdAt },
      apiKeyId: principal.apiKeyId,
      role: principal.role.toUpperCase() as ApiKeyRole,
    };
  }

  /** Projection lag, so a frontend or an operator can see how fresh the read models are. */
  @Query('projectionStatus')
  async projectionStatus(): Promise<ProjectionStatus[]> {
    const lag = await this.runtime.projections.lag();
    return lag.map((l) => ({ name: l.name, checkpoint: l.checkpoint, eventsBehind: l.eventsBehind, lastAppliedAt: l.lastAppliedAt }));
  }
}
