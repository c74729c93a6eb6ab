import type { Command } from '../core/decider.js';

import type { OverQuotaPolicy, PaymentStatus, PlanChangeSource } from './billing.events.js';
import type { Plan } from './billing.plans.js';

// ── Plan catalogue (platform operator) ─────────────────────────────────────────────────────────

/** Adds a plan or replaces one (all its fields). */
export type DefinePlan = Command<'DefinePlan', { plan: Plan }>;
export type RetirePlan = Command<'RetirePlan', { planId: string }>;
export type PlanCatalogueCommand = DefinePlan | RetirePlan;

// ── A tenant's billing ─────────────────────────────────────────────────────────────────────────

/**
 * `catalogue` is the plan catalogue as it stands (read by the caller), `currentPlanId` the
 * tenant's plan before this change (its creation plan until the first change).
 */
export type ChangeSubscriptionPlan = Command<
  'ChangeSubscriptionPlan',
  {
    tenantId: string;
    planId: string;
    currentPlanId: string;
    catalogue: ReadonlyMap<string, Plan & { retired: boolean }>;
    source: PlanChangeSource;
    providerEventId?: string | null;
  }
>;

export type RecordInvoice = Command<
  'RecordInvoice',
  {
    tenantId: string;
    invoiceId: string;
    reference: string;
    amountMinor: number;
    currency: string;
    periodStart: Date;
    periodEnd: Date;
    issuedAt: Date;
    providerEventId: string;
  }
>;

export type ChangePaymentStatus = Command<
  'ChangePaymentStatus',
  { tenantId: string; status: PaymentStatus; providerEventId?: string | null }
>;

/**
 * The time zone whose calendar months the usage counters follow, and what a launch over the
 * quota does; a field left out stays as it is.
 */
export type ChangeBillingSettings = Command<
  'ChangeBillingSettings',
  { tenantId: string; timeZone?: string; overQuota?: OverQuotaPolicy }
>;

export type BillingCommand =
  ChangeSubscriptionPlan | RecordInvoice | ChangePaymentStatus | ChangeBillingSettings;
