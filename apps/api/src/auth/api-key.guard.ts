import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';

import type { ApiKeyRole } from '#domain';
import { type MailpackrRuntime, hashApiKey } from '#platform';
import { ApiKeyEntity } from '#projections';

import { ApiError } from '../graphql/api-error.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';
import { requestOf } from './principal.js';

/**
 * Every GraphQL operation needs `Authorization: Bearer <api key>`. The key is hashed and looked
 * up among the tenant keys; the tenant always comes from the key, never from client input.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const req = requestOf(context);
    if (req.principal) return true;
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match)
      throw new ApiError('UNAUTHENTICATED', 'Send an API key: Authorization: Bearer <key>');
    const key = await this.runtime.readModels
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: hashApiKey(match[1]!) } });
    if (!key || key.revokedAt) throw new ApiError('UNAUTHENTICATED', 'Unknown or revoked API key');
    req.principal = { tenantId: key.tenantId, apiKeyId: key.keyId, role: key.role as ApiKeyRole };
    return true;
  }
}
