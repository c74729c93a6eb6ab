import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';

import { type MailpackrRuntime, SESSION_TOKEN_PREFIX } from '#platform';

import { ApiError } from '../graphql/api-error.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { assertAllowed, isPublicOperation } from './operation-permissions.js';
import { type Principal, requestOf } from './principal.js';

/**
 * Every GraphQL operation (but the public ones, `login`) needs `Authorization: Bearer <token>`:
 * an account's session token (`mps_…`, the principal has the account's current role) or an API
 * key (`mpk_…`, hashed and looked up among the tenant keys). The tenant always comes from the
 * session or the key, never from client input. Then the role must hold the permission the
 * operation declares (`FIELD_PERMISSIONS`).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const info = GqlExecutionContext.create(context).getInfo<GraphQLResolveInfo>();
    if (isPublicOperation(info.parentType.name, info.fieldName)) return true;
    const req = requestOf(context);
    req.principal ??= await this.authenticate(req.headers.authorization);
    assertAllowed(req.principal.role, info.parentType.name, info.fieldName);
    return true;
  }

  private async authenticate(header: string | string[] | undefined): Promise<Principal> {
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match)
      throw new ApiError(
        'UNAUTHENTICATED',
        'Send a session token or an API key: Authorization: Bearer <token>',
      );
    const token = match[1]!;
    return token.startsWith(SESSION_TOKEN_PREFIX) ? this.session(token) : this.apiKey(token);
  }

  private async session(token: string): Promise<Principal> {
    const checked = await this.runtime.sessions.check(token, this.clock());
    switch (checked.status) {
      case 'active':
        return {
          tenantId: checked.tenantId,
          role: checked.role,
          accountId: checked.accountId,
          sessionId: checked.sessionId,
        };
      case 'expired':
        throw new ApiError('UNAUTHENTICATED', 'The session has expired: log in again', {
          reason: 'SESSION_EXPIRED',
        });
      case 'revoked':
        throw new ApiError('UNAUTHENTICATED', 'The session was ended: log in again', {
          reason: 'SESSION_REVOKED',
        });
      case 'unknown':
        throw new ApiError('UNAUTHENTICATED', 'Unknown session', { reason: 'SESSION_UNKNOWN' });
    }
  }

  private async apiKey(secret: string): Promise<Principal> {
    // On every request: the keys in use are cached, the cache never ahead of a revocation.
    const key = await this.runtime.apiKeys.lookup(secret);
    if (!key || key.revoked) throw new ApiError('UNAUTHENTICATED', 'Unknown or revoked API key');
    await this.runtime.apiKeyUsage.touch(key.keyId, this.clock());
    return { tenantId: key.tenantId, apiKeyId: key.keyId, role: key.role };
  }
}
