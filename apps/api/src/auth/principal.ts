import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';

import type { ApiKeyRole } from '#domain';

/** The authenticated caller: one API key of one tenant. */
export interface Principal {
  tenantId: string;
  apiKeyId: string;
  role: ApiKeyRole;
}

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

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
