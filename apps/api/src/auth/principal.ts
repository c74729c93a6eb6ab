import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';

import type { ApiKeyRole } from '#domain';

/**
 * The authenticated caller in one tenant: an API key (`apiKeyId`), or an account's login session
 * (`accountId` and `sessionId`, with the account's current role).
 */
export interface Principal {
  tenantId: string;
  role: ApiKeyRole;
  apiKeyId?: string;
  accountId?: string;
  sessionId?: string;
}

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  /** The client's address as Express sees it (`req.ip`: the socket's, unless `trust proxy`). */
  ip?: string;
  principal?: Principal;
}

/** Who the history records as the actor: `api-key:<id>` or `account:<id>`. */
export const actorOf = (principal: Principal): string =>
  principal.apiKeyId ? `api-key:${principal.apiKeyId}` : `account:${principal.accountId}`;

export const requestOf = (context: ExecutionContext): RequestWithPrincipal =>
  GqlExecutionContext.create(context).getContext<{ req: RequestWithPrincipal }>().req;

/** Resolver parameter: the caller set by `ApiKeyGuard`. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => {
    const principal = requestOf(context).principal;
    if (!principal) throw new Error('ApiKeyGuard did not run');
    return principal;
  },
);
