import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';

import type { ApiKeyRole } from '#domain';
import { type MailpackrRuntime, hashApiKey } from '#platform';
import { ApiKeyEntity } from '#projections';

import { ApiError } from '../graphql/api-error.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';
import { assertAllowed } from './operation-permissions.js';
import { type Principal, requestOf } from './principal.js';

/**
 * Every GraphQL operation needs `Authorization: Bearer <api key>`. The key is hashed and looked
 * up among the tenant keys; the tenant always comes from the key, never from client input. Then
 * the key's role must hold the permission the operation declares (`FIELD_PERMISSIONS`).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const req = requestOf(context);
    req.principal ??= await this.authenticate(req.headers.authorization);
    const info = GqlExecutionContext.create(context).getInfo<GraphQLResolveInfo>();
    assertAllowed(req.principal.role, info.parentType.name, info.fieldName);
    return true;
  }

  private async authenticate(header: string | string[] | undefined): Promise<Principal> {
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match)
      throw new ApiError('UNAUTHENTICATED', 'Send an API key: Authorization: Bearer <key>');
    const key = await this.runtime.readModels
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: hashApiKey(match[1]!) } });
    if (!key || key.revokedAt) throw new ApiError('UNAUTHENTICATED', 'Unknown or revoked API key');
    return { tenantId: key.tenantId, apiKeyId: key.keyId, role: key.role as ApiKeyRole };
  }
}
