import { Inject } from '@nestjs/common';
import { Mutation, Query, Resolver } from '@nestjs/graphql';

import { tenantDecider, toTenantStreamId } from '#domain';
import type { Position } from '#event-store';
import type { MailpackrRuntime } from '#platform';
import { TenantEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { commandContextOf } from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import type { SendingPauseReason, TenantSending } from '../graphql/graphql.generated.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * The tenant's sending as a whole: the automatic pause (bounce and complaint rates over a window)
 * and its manual counterpart. Campaign-level pause and resume live with the campaigns.
 */
@Resolver()
export class SendingResolver {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
  ) {}

  @Query('sending')
  sending(@CurrentPrincipal() principal: Principal): Promise<TenantSending> {
    return this.load(principal.tenantId);
  }

  @Mutation('pauseSending')
  async pauseSending(@CurrentPrincipal() principal: Principal): Promise<TenantSending> {
    const result = await this.runtime.commands.handle(
      toTenantStreamId(principal.tenantId),
      tenantDecider,
      {
        type: 'PauseTenantSending',
        data: { tenantId: principal.tenantId, reason: 'manual' },
        metadata: { now: this.clock() },
      },
      commandContextOf(principal, 'PauseTenantSending'),
    );
    await this.waitFor(result.position);
    return this.load(principal.tenantId);
  }

  @Mutation('resumeSending')
  async resumeSending(@CurrentPrincipal() principal: Principal): Promise<TenantSending> {
    const result = await this.runtime.commands.handle(
      toTenantStreamId(principal.tenantId),
      tenantDecider,
      {
        type: 'ResumeTenantSending',
        data: { tenantId: principal.tenantId },
        metadata: { now: this.clock() },
      },
      commandContextOf(principal, 'ResumeTenantSending'),
    );
    await this.waitFor(result.position);
    return this.load(principal.tenantId);
  }

  private async load(tenantId: string): Promise<TenantSending> {
    const tenant = await this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(TenantEntity, { where: {} }),
    );
    if (!tenant) throw new ApiError('NOT_FOUND', 'Tenant not found');
    const { sendingHealth } = this.runtime;
    const [health] = await sendingHealth.measure([tenantId], this.clock());
    const pause = tenant.sendingPausedAt ? (tenant.sendingPause ?? {}) : null;
    const limits = sendingHealth.limits;
    return {
      paused: pause !== null,
      reason: pause
        ? ((typeof pause.reason === 'string'
            ? pause.reason
            : 'manual'
          ).toUpperCase() as SendingPauseReason)
        : null,
      pausedAt: tenant.sendingPausedAt,
      pauseRate: typeof pause?.rate === 'number' ? pause.rate : null,
      pauseThreshold: typeof pause?.threshold === 'number' ? pause.threshold : null,
      windowHours: limits.windowHours,
      messages: health?.messages ?? 0,
      bounced: health?.bounced ?? 0,
      complained: health?.complained ?? 0,
      bounceRate: health?.bounceRate ?? 0,
      complaintRate: health?.complaintRate ?? 0,
      bounceRateLimit: limits.bounceRate,
      complaintRateLimit: limits.complaintRate,
      minMessages: limits.minMessages,
    };
  }

  private async waitFor(position: Position | undefined): Promise<void> {
    if (!position) return;
    await this.runtime.projections.waitFor(
      position,
      ['tenants'],
      this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
    );
  }
}
