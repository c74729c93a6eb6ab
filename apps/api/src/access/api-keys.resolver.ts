import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';

import type { ApiKeyRole as DomainApiKeyRole } from '#domain';
import type { MailpackrRuntime } from '#platform';
import type { Position } from '#event-store';
import { ApiKeyEntity } from '#projections';

import { CurrentPrincipal, type Principal, actorOf } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  ApiKey,
  ApiKeyConnection,
  ApiKeyRole,
  IssuedApiKey,
} from '../graphql/graphql.generated.js';
import { newestFirstPage } from '../graphql/keyset-page.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { ChangeApiKeyRoleInputDto, IssueApiKeyInputDto } from './api-key.inputs.js';

const toApiKey = (row: ApiKeyEntity, lastUsed: ReadonlyMap<string, Date>): ApiKey => ({
  id: row.keyId,
  label: row.label,
  role: row.role.toUpperCase() as ApiKeyRole,
  issuedAt: row.issuedAt,
  revokedAt: row.revokedAt,
  lastUsedAt: lastUsed.get(row.keyId) ?? null,
  accountId: row.accountId,
});

/** The tenant's API keys and their roles; who may call this is in `FIELD_PERMISSIONS`. */
@Resolver()
export class ApiKeysResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('apiKeys')
  async apiKeys(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first?: number | null,
    @Args('after') after?: string | null,
  ): Promise<ApiKeyConnection> {
    const size = pageSize(first);
    const rows = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      newestFirstPage(
        scope.select(ApiKeyEntity, 'k'),
        'key_id',
        size,
        decodeCursor(after),
        'issued_at',
      ),
    );
    const lastUsed = await this.runtime.apiKeyUsage.lastUsed(rows.map((r) => r.keyId));
    return toConnection(
      rows,
      size,
      (r) => ({ createdAt: r.issuedAt, id: r.keyId }),
      (r) => toApiKey(r, lastUsed),
    );
  }

  @Mutation('issueApiKey')
  async issueApiKey(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: IssueApiKeyInputDto,
  ): Promise<IssuedApiKey> {
    const issued = await this.runtime.tenants.issueApiKey({
      tenantId: principal.tenantId,
      role: input.role.toLowerCase() as DomainApiKeyRole,
      label: input.label,
      // A key issued from a session is that account's (revoked when the account is erased).
      accountId: principal.accountId,
      ...this.caller(principal),
    });
    return {
      apiKey: await this.read(principal, issued.apiKeyId, issued.position),
      secret: issued.apiKey,
    };
  }

  @Mutation('revokeApiKey')
  async revokeApiKey(
    @CurrentPrincipal() principal: Principal,
    @Args('id') id: string,
  ): Promise<ApiKey> {
    const keyId = assertUuid(id, 'API key');
    const result = await this.runtime.tenants.revokeApiKey({
      tenantId: principal.tenantId,
      keyId,
      ...this.caller(principal),
    });
    return this.read(principal, keyId, result.position);
  }

  @Mutation('changeApiKeyRole')
  async changeApiKeyRole(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ChangeApiKeyRoleInputDto,
  ): Promise<ApiKey> {
    const result = await this.runtime.tenants.changeApiKeyRole({
      tenantId: principal.tenantId,
      keyId: input.id,
      role: input.role.toLowerCase() as DomainApiKeyRole,
      ...this.caller(principal),
    });
    return this.read(principal, input.id, result.position);
  }

  private caller(principal: Principal) {
    return { actor: actorOf(principal), byRole: principal.role, now: this.clock() };
  }

  /** Reads the key back once the read model has the change (read your own writes). */
  private async read(principal: Principal, keyId: string, position?: Position): Promise<ApiKey> {
    if (position)
      await this.runtime.projections.waitFor(
        position,
        ['api-keys'],
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    const row = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(ApiKeyEntity, { where: { keyId } }),
    );
    if (!row) throw new ApiError('NOT_FOUND', 'API key not found');
    return toApiKey(row, await this.runtime.apiKeyUsage.lastUsed([row.keyId]));
  }
}
