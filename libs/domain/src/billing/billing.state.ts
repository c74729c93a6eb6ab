import { assertNever } from '../core/assert-never.js';

import type {
  BillingEvent,
  OverQuotaPolicy,
  PaymentStatus,
  PlanCatalogueEvent,
} from './billing.events.js';
import type { Plan } from './billing.plans.js';

export type CataloguePlan = Plan & Readonly<{ retired: boolean }>;

/** The catalogue: every plan ever defined, by id (retired ones kept: tenants may still be on them). */
export type PlanCatalogue = Readonly<{ plans: ReadonlyMap<string, CataloguePlan> }>;

export const initialPlanCatalogue = (): PlanCatalogue => ({ plans: new Map() });

export const evolvePlanCatalogue = (
  state: PlanCatalogue,
  event: PlanCatalogueEvent,
): PlanCatalogue => {
  switch (event.type) {
    case 'PlanDefined': {
      const { definedAt: _at, ...plan } = event.data;
      const plans = new Map(state.plans);
      plans.set(plan.planId, { ...plan, retired: false });
      return { plans };
    }
    case 'PlanRetired': {
      const plan = state.plans.get(event.data.planId);
      if (!plan) return state;
      const plans = new Map(state.plans);
      plans.set(plan.planId, { ...plan, retired: true });
      return { plans };
    }
    default:
      return assertNever(event, 'Unknown plan catalogue event');
  }
};

/**
 * A tenant's billing. `planId` is null until the first change (the tenant's creation plan then
 * applies); payment is `active` until the provider says otherwise.
 */
export type BillingAccount = Readonly<{
  planId: string | null;
  paymentStatus: PaymentStatus;
  /** When the payment status last changed (null: never). */
  paymentStatusSince: string | null;
  timeZone: string;
  /** A launch over the month's quota: refused, or sent up to the quota and paused. */
  overQuota: OverQuotaPolicy;
  /** Invoice references recorded, and every provider event id applied (replay protection). */
  invoiceReferences: ReadonlySet<string>;
  providerEventIds: ReadonlySet<string>;
}>;

export const initialBillingAccount = (): BillingAccount => ({
  planId: null,
  paymentStatus: 'active',
  paymentStatusSince: null,
  timeZone: 'UTC',
  overQuota: 'refuse',
  invoiceReferences: new Set(),
  providerEventIds: new Set(),
});

const withProviderEvent = (state: BillingAccount, id: string | null): BillingAccount =>
  id === null ? state : { ...state, providerEventIds: new Set(state.providerEventIds).add(id) };

export const evolveBillingAccount = (
  state: BillingAccount,
  event: BillingEvent,
): BillingAccount => {
  switch (event.type) {
    case 'SubscriptionPlanChanged':
      return withProviderEvent({ ...state, planId: event.data.planId }, event.data.providerEventId);
    case 'InvoiceIssued':
      return withProviderEvent(
        {
          ...state,
          invoiceReferences: new Set(state.invoiceReferences).add(event.data.reference),
        },
        event.data.providerEventId,
      );
    case 'PaymentStatusChanged':
      return withProviderEvent(
        {
          ...state,
          paymentStatus: event.data.status,
          paymentStatusSince: event.data.changedAt,
        },
        event.data.providerEventId,
      );
    case 'BillingSettingsChanged':
      return {
        ...state,
        timeZone: event.data.timeZone,
        overQuota: event.data.overQuota ?? state.overQuota,
      };
    default:
      return assertNever(event, 'Unknown billing event');
  }
};
