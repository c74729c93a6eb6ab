import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';

import type { Plan as DomainPlan } from '#domain';
import type { MailpackrRuntime } from '#platform';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import type { Billing, PaymentStatus, Plan, QuotaOverflow } from '../graphql/graphql.generated.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';

const toPlan = (plan: DomainPlan): Plan => ({
  id: plan.planId,
  name: plan.name,
  monthlyMessageQuota: plan.monthlyMessageQuota,
  maxContacts: plan.maxContacts,
  maxApiKeys: plan.maxApiKeys,
  priceReference: plan.priceReference,
});

/** `billing` (owners and admins) and `plans` (every role); who may: FIELD_PERMISSIONS. */
@Resolver()
export class BillingResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('billing')
  async billing(@CurrentPrincipal() principal: Principal): Promise<Billing> {
    const overview = await this.runtime.billing.overview(principal.tenantId, this.clock());
    return {
      plan: toPlan(overview.plan),
      usage: overview.usage,
      paymentStatus: overview.paymentStatus.toUpperCase() as PaymentStatus,
      paymentStatusSince: overview.paymentStatusSince,
      graceEndsAt: overview.graceEndsAt,
      launchAllowed: overview.launchAllowed,
      overQuota: overview.overQuota.toUpperCase() as QuotaOverflow,
      invoices: overview.invoices,
    };
  }

  @Query('plans')
  async plans(): Promise<Plan[]> {
    return (await this.runtime.billing.listPlans()).map(toPlan);
  }
}
