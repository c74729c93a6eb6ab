import type { Event } from '../core/decider.js';

/** A plan added to the catalogue, or changed (the whole plan as it now is). */
export type PlanDefined = Event<
  'PlanDefined',
  {
    planId: string;
    name: string;
    monthlyMessageQuota: number | null;
    maxContacts: number | null;
    maxApiKeys: number | null;
    priceReference: string | null;
    definedAt: string;
  }
>;

/** No new tenant may take the plan; tenants on it keep it until they change. */
export type PlanRetired = Event<'PlanRetired', { planId: string; retiredAt: string }>;

export type PlanCatalogueEvent = PlanDefined | PlanRetired;

export const PAYMENT_STATUSES = ['active', 'past_due', 'cancelled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Who changed a plan: the platform operator (CLI) or the billing provider (webhook). */
export const PLAN_CHANGE_SOURCES = ['operator', 'billing_provider'] as const;
export type PlanChangeSource = (typeof PLAN_CHANGE_SOURCES)[number];

/**
 * Billing records are account data (MailPackr is the controller) and hold no personal data:
 * references, amounts, periods and statuses only, never card data. `providerEventId` is the
 * billing provider's event id (replay protection); null for the operator's own changes.
 */
export type SubscriptionPlanChanged = Event<
  'SubscriptionPlanChanged',
  {
    tenantId: string;
    planId: string;
    previousPlanId: string;
    source: PlanChangeSource;
    providerEventId: string | null;
    changedAt: string;
  }
>;

export type InvoiceIssued = Event<
  'InvoiceIssued',
  {
    tenantId: string;
    /** Ours, derived from the tenant and the provider's reference. */
    invoiceId: string;
    /** The provider's invoice id or number. */
    reference: string;
    /** In the currency's minor unit (cents). */
    amountMinor: number;
    /** ISO 4217, upper case. */
    currency: string;
    periodStart: string;
    periodEnd: string;
    issuedAt: string;
    providerEventId: string;
    recordedAt: string;
  }
>;

export type PaymentStatusChanged = Event<
  'PaymentStatusChanged',
  {
    tenantId: string;
    status: PaymentStatus;
    previousStatus: PaymentStatus;
    providerEventId: string | null;
    changedAt: string;
  }
>;

/**
 * What a launch over what is left of the month's quota does: `refuse` it (the default), or
 * `pause`: send up to the quota and pause until a resume releases more.
 */
export const OVER_QUOTA_POLICIES = ['refuse', 'pause'] as const;
export type OverQuotaPolicy = (typeof OVER_QUOTA_POLICIES)[number];

/** `overQuota` absent (older events): unchanged (`refuse` until first set). */
export type BillingSettingsChanged = Event<
  'BillingSettingsChanged',
  { tenantId: string; timeZone: string; overQuota?: OverQuotaPolicy; changedAt: string }
>;

export type BillingEvent =
  SubscriptionPlanChanged | InvoiceIssued | PaymentStatusChanged | BillingSettingsChanged;

export type BillingEventType = BillingEvent['type'];

const billingEventTypes = {
  SubscriptionPlanChanged: true,
  InvoiceIssued: true,
  PaymentStatusChanged: true,
  BillingSettingsChanged: true,
} satisfies Record<BillingEventType, true>;

export const BILLING_EVENT_TYPES = Object.keys(billingEventTypes) as readonly BillingEventType[];

const planCatalogueEventTypes = {
  PlanDefined: true,
  PlanRetired: true,
} satisfies Record<PlanCatalogueEvent['type'], true>;

export const PLAN_CATALOGUE_EVENT_TYPES = Object.keys(
  planCatalogueEventTypes,
) as readonly PlanCatalogueEvent['type'][];
