import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';

import type { MailpackrRuntime } from '#platform';
import { ERASED, isEncryptedField } from '#privacy';
import { TenantEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  Account,
  ApiKeyRole,
  ProjectionStatus,
  Viewer,
} from '../graphql/graphql.generated.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

@Resolver()
export class SystemResolver {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Query('viewer')
  async viewer(@CurrentPrincipal() principal: Principal): Promise<Viewer> {
    const tenant = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(TenantEntity, { where: {} }),
    );
    if (!tenant) throw new ApiError('NOT_FOUND', 'Tenant not found');
    return {
      tenant: {
        id: tenant.tenantId,
        name: tenant.name,
        plan: await this.runtime.billing.planIdOf(tenant.tenantId, tenant.plan),
        owner: await this.owner(tenant),
        createdAt: tenant.createdAt,
      },
      apiKeyId: principal.apiKeyId ?? null,
      accountId: principal.accountId ?? null,
      role: principal.role.toUpperCase() as ApiKeyRole,
    };
  }

  /** The read model keeps the owner's fields as ciphertext: decrypted here, `[erased]` once shredded. */
  private async owner(tenant: TenantEntity): Promise<Account | null> {
    if (!tenant.ownerAccountId) return null;
    if (tenant.ownerErasedAt || !isEncryptedField(tenant.ownerEmail)) {
      return { id: tenant.ownerAccountId, email: ERASED, name: ERASED };
    }
    const [email, name] = await this.runtime.vault.decryptMany([
      { field: tenant.ownerEmail, context: 'TenantCreated.owner.email' },
      ...(isEncryptedField(tenant.ownerName)
        ? [{ field: tenant.ownerName, context: 'TenantCreated.owner.name' }]
        : []),
    ]);
    return { id: tenant.ownerAccountId, email: email!, name: name ?? null };
  }

  /** Projection lag, so a frontend or an operator can see how fresh the read models are. */
  @Query('projectionStatus')
  async projectionStatus(): Promise<ProjectionStatus[]> {
    const lag = await this.runtime.projections.lag();
    return lag.map((l) => ({
      name: l.name,
      checkpoint: l.checkpoint,
      eventsBehind: l.eventsBehind,
      lastAppliedAt: l.lastAppliedAt,
    }));
  }
}
