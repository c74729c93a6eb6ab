import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { type Observable, from, switchMap } from 'rxjs';

import type { MailpackrRuntime } from '#platform';

import type { RequestWithPrincipal } from '../auth/principal.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';
import { ApiError } from './api-error.js';
import { type RateLimitVerdict, operationStateOf } from './operation-state.js';

const WINDOW_SECONDS = 60;

/**
 * Each tenant's GraphQL budget: `pointsPerMinute` cost points (`operationCost`, at least 1 an
 * operation) in a fixed one-minute window that starts with the tenant's first operation. Tenants
 * are counted apart, so one tenant at its limit never slows another.
 *
 * Kept in this process's memory: with several API processes, each counts its own share.
 */
export class TenantRateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly pointsPerMinute: number) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: 'graphql-tenant',
      points: pointsPerMinute,
      duration: WINDOW_SECONDS,
    });
  }

  /** Takes `cost` points from the tenant's budget; refused when short (the refused points count too). */
  async consume(tenantId: string, cost: number): Promise<RateLimitVerdict> {
    const points = Math.max(1, Math.ceil(cost));
    try {
      return this.verdict(true, await this.limiter.consume(tenantId, points));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.verdict(false, rejection);
      throw rejection;
    }
  }

  private verdict(allowed: boolean, res: RateLimiterRes): RateLimitVerdict {
    return {
      allowed,
      limit: this.pointsPerMinute,
      remaining: Math.max(0, this.pointsPerMinute - res.consumedPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/**
 * Charges each GraphQL operation's cost to its tenant once, when its first root field runs
 * (after `ApiKeyGuard` has set the tenant), and refuses every root field of the operation with
 * RATE_LIMITED while the tenant's budget is spent: no resolver runs, nothing is written. The
 * limits plugin turns the verdict into `RateLimit-*` headers and, when refused, HTTP 429.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly limiter?: TenantRateLimiter;

  constructor(@Inject(RUNTIME) runtime: MailpackrRuntime) {
    const points = runtime.config.MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE;
    if (points > 0) this.limiter = new TenantRateLimiter(points);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.limiter || context.getType<string>() !== 'graphql') return next.handle();
    const gqlContext = GqlExecutionContext.create(context).getContext<{
      req?: RequestWithPrincipal;
    }>();
    const state = operationStateOf(gqlContext);
    const tenantId = gqlContext.req?.principal?.tenantId;
    if (!state || !tenantId) return next.handle();
    state.rateLimit ??= this.limiter.consume(tenantId, state.cost).then((verdict) => {
      state.rateLimitVerdict = verdict;
      return verdict;
    });
    return from(state.rateLimit).pipe(
      switchMap((verdict) => {
        if (verdict.allowed) return next.handle();
        throw new ApiError(
          'RATE_LIMITED',
          `This tenant has used its GraphQL budget of ${verdict.limit} points a minute: ` +
            `retry in ${verdict.resetSeconds} s.`,
          { retryAfterSeconds: verdict.resetSeconds, limit: verdict.limit, cost: state.cost },
        );
      }),
    );
  }
}
