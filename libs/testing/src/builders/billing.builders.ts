import {
  type BillingSettingsChanged,
  type CataloguePlan,
  type ChangePaymentStatus,
  type ChangeSubscriptionPlan,
  DEFAULT_PLANS,
  type InvoiceIssued,
  type PaymentStatusChanged,
  type Plan,
  type RecordInvoice,
  type SubscriptionPlanChanged,
} from '#domain';

import { aNow, anId } from './common.builders.js';

type WithNow = { now?: Date };

/** A plan with small limits, to reach them in tests. */
export const aPlan = (overrides: Partial<Plan> = {}): Plan => ({
  planId: 'tiny',
  name: 'Tiny',
  monthlyMessageQuota: 3,
  maxContacts: 2,
  maxApiKeys: 2,
  priceReference: 'price_tiny',
  ...overrides,
});

/** The default catalogue (plus any plans given), as `ChangeSubscriptionPlan` takes it. */
export const aCatalogue = (...extra: Plan[]): ReadonlyMap<string, CataloguePlan> =>
  new Map([...DEFAULT_PLANS, ...extra].map((plan) => [plan.planId, { ...plan, retired: false }]));

export const aChangeSubscriptionPlan = ({
  now = aNow(),
  ...overrides
}: Partial<ChangeSubscriptionPlan['data']> & WithNow = {}): ChangeSubscriptionPlan => ({
  type: 'ChangeSubscriptionPlan',
  data: {
    tenantId: anId(),
    planId: 'pro',
    currentPlanId: 'free',
    catalogue: aCatalogue(),
    source: 'operator',
    ...overrides,
  },
  metadata: { now },
});

export const aRecordInvoice = ({
  now = aNow(),
  ...overrides
}: Partial<RecordInvoice['data']> & WithNow = {}): RecordInvoice => ({
  type: 'RecordInvoice',
  data: {
    tenantId: anId(),
    invoiceId: anId(),
    reference: 'in_2025_0001',
    amountMinor: 4900,
    currency: 'EUR',
    periodStart: new Date('2025-01-01T00:00:00Z'),
    periodEnd: new Date('2025-02-01T00:00:00Z'),
    issuedAt: new Date('2025-01-01T00:05:00Z'),
    providerEventId: `evt_${anId()}`,
    ...overrides,
  },
  metadata: { now },
});

export const aChangePaymentStatus = ({
  now = aNow(),
  ...overrides
}: Partial<ChangePaymentStatus['data']> & WithNow = {}): ChangePaymentStatus => ({
  type: 'ChangePaymentStatus',
  data: { tenantId: anId(), status: 'past_due', ...overrides },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const aSubscriptionPlanChanged = (
  overrides: Partial<SubscriptionPlanChanged['data']> = {},
): SubscriptionPlanChanged => ({
  type: 'SubscriptionPlanChanged',
  data: {
    tenantId: anId(),
    planId: 'pro',
    previousPlanId: 'free',
    source: 'operator',
    providerEventId: null,
    changedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anInvoiceIssued = (overrides: Partial<InvoiceIssued['data']> = {}): InvoiceIssued => ({
  type: 'InvoiceIssued',
  data: {
    tenantId: anId(),
    invoiceId: anId(),
    reference: 'in_2025_0001',
    amountMinor: 4900,
    currency: 'EUR',
    periodStart: '2025-01-01T00:00:00.000Z',
    periodEnd: '2025-02-01T00:00:00.000Z',
    issuedAt: '2025-01-01T00:05:00.000Z',
    providerEventId: `evt_${anId()}`,
    recordedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aPaymentStatusChanged = (
  overrides: Partial<PaymentStatusChanged['data']> = {},
): PaymentStatusChanged => ({
  type: 'PaymentStatusChanged',
  data: {
    tenantId: anId(),
    status: 'past_due',
    previousStatus: 'active',
    providerEventId: null,
    changedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aBillingSettingsChanged = (
  overrides: Partial<BillingSettingsChanged['data']> = {},
): BillingSettingsChanged => ({
  type: 'BillingSettingsChanged',
  data: {
    tenantId: anId(),
    timeZone: 'Europe/Paris',
    changedAt: aNow().toISOString(),
    ...overrides,
  },
});
