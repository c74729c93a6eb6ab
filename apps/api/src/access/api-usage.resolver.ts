import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';

import type { MailpackrRuntime } from '#platform';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type { ApiUsage } from '../graphql/graphql.generated.js';
import { assertUuid } from '../graphql/pagination.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';

const DAY_MS = 86_400_000;

/** The tenant's API usage per day, caller and operation; who may read it: FIELD_PERMISSIONS. */
@Resolver()
export class ApiUsageResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('apiUsage')
  async apiUsage(
    @CurrentPrincipal() principal: Principal,
    @Args('days') days?: number | null,
    @Args('apiKeyId') apiKeyId?: string | null,
  ): Promise<ApiUsage> {
    const span = days ?? 30;
    if (!Number.isInteger(span) || span < 1 || span > 400)
      throw new ApiError('BAD_USER_INPUT', 'days must be between 1 and 400');
    const now = this.clock().getTime();
    const to = new Date(now).toISOString().slice(0, 10);
    const from = new Date(now - (span - 1) * DAY_MS).toISOString().slice(0, 10);
    const caller = apiKeyId ? `api-key:${assertUuid(apiKeyId, 'API key')}` : undefined;
    const rows = await this.runtime.apiUsage.usage(principal.tenantId, { from, to, caller });
    return {
      from,
      to,
      requests: rows.reduce((n, r) => n + r.requests, 0),
      cost: rows.reduce((n, r) => n + r.cost, 0),
      days: rows.map((r) => ({
        day: r.day,
        apiKeyId: r.caller.startsWith('api-key:') ? r.caller.slice('api-key:'.length) : null,
        accountId: r.caller.startsWith('account:') ? r.caller.slice('account:'.length) : null,
        operation: r.operation,
        requests: r.requests,
        cost: r.cost,
        errors: r.errors,
      })),
    };
  }
}
