import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid, isValidDate } from '../core/validation.js';

import { isTimeZone } from './billing-period.js';
import type {
  BillingCommand,
  ChangeBillingSettings,
  ChangePaymentStatus,
  ChangeSubscriptionPlan,
  DefinePlan,
  PlanCatalogueCommand,
  RecordInvoice,
  RetirePlan,
} from './billing.commands.js';
import { BillingError } from './billing.errors.js';
import {
  OVER_QUOTA_POLICIES,
  PAYMENT_STATUSES,
  PLAN_CHANGE_SOURCES,
  type BillingEvent,
  type PlanCatalogueEvent,
} from './billing.events.js';
import { PLAN_LIMITS, isPlanId, type Plan } from './billing.plans.js';
import type { BillingAccount, PlanCatalogue } from './billing.state.js';

export const BILLING_LIMITS = {
  referenceMaxLength: 200,
  providerEventIdMaxLength: 200,
  /** Largest invoice amount in minor units (fits a GraphQL Int). */
  maxAmountMinor: 2_000_000_000,
  /** Longest invoice period, in days. */
  maxPeriodDays: 400,
} as const;

// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const CONTROL = /[\u0000-\u001f\u007f]/;
const CURRENCY = /^[A-Z]{3}$/;

// ── Plan catalogue ─────────────────────────────────────────────────────────────────────────────

export const decidePlanCatalogue = (
  command: PlanCatalogueCommand,
  state: PlanCatalogue,
): PlanCatalogueEvent[] => {
  switch (command.type) {
    case 'DefinePlan':
      return definePlan(command, state);
    case 'RetirePlan':
      return retirePlan(command, state);
    default:
      return assertNever(command, 'Unknown plan catalogue command');
  }
};

const definePlan = ({ data, metadata: { now } }: DefinePlan, state: PlanCatalogue) => {
  const plan = validPlan(data.plan);
  const current = state.plans.get(plan.planId);
  if (current && !current.retired && samePlan(current, plan)) return [];
  return [{ type: 'PlanDefined' as const, data: { ...plan, definedAt: now.toISOString() } }];
};

const retirePlan = ({ data, metadata: { now } }: RetirePlan, state: PlanCatalogue) => {
  const plan = state.plans.get(data.planId);
  if (!plan) throw new BillingError('PLAN_NOT_FOUND', `Unknown plan: ${String(data.planId)}`);
  if (plan.retired) return [];
  return [
    { type: 'PlanRetired' as const, data: { planId: plan.planId, retiredAt: now.toISOString() } },
  ];
};

const samePlan = (a: Plan, b: Plan): boolean =>
  a.name === b.name &&
  a.monthlyMessageQuota === b.monthlyMessageQuota &&
  a.maxContacts === b.maxContacts &&
  a.maxApiKeys === b.maxApiKeys &&
  a.priceReference === b.priceReference;

/** A limit: a whole number from `min` to `max`, or null for unlimited. */
const validLimit = (value: unknown, field: string, min: number, max: number): number | null => {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BillingError(
      'INVALID_PLAN',
      `${field} must be a whole number from ${min} to ${max}, or unlimited`,
      { field, min, max },
    );
  }
  return value;
};

export const validPlan = (plan: Plan): Plan => {
  if (!isPlanId(plan.planId)) {
    throw new BillingError(
      'INVALID_PLAN',
      'A plan id is 1 to 40 lower-case letters, digits, _ or -, starting with a letter',
      { field: 'planId' },
    );
  }
  const name = typeof plan.name === 'string' ? plan.name.trim() : '';
  if (name.length < 1 || name.length > PLAN_LIMITS.nameMaxLength || CONTROL.test(name)) {
    throw new BillingError(
      'INVALID_PLAN',
      `A plan name is 1 to ${PLAN_LIMITS.nameMaxLength} characters on one line`,
      { field: 'name' },
    );
  }
  const price = plan.priceReference === null ? null : String(plan.priceReference).trim();
  if (
    price !== null &&
    (price.length < 1 || price.length > PLAN_LIMITS.priceReferenceMaxLength || CONTROL.test(price))
  ) {
    throw new BillingError(
      'INVALID_PLAN',
      `A price reference is 1 to ${PLAN_LIMITS.priceReferenceMaxLength} characters`,
      { field: 'priceReference' },
    );
  }
  return {
    planId: plan.planId,
    name,
    monthlyMessageQuota: validLimit(
      plan.monthlyMessageQuota,
      'monthlyMessageQuota',
      0,
      PLAN_LIMITS.maxMonthlyMessages,
    ),
    maxContacts: validLimit(plan.maxContacts, 'maxContacts', 0, PLAN_LIMITS.maxContacts),
    // At least one: a tenant always keeps its owner key.
    maxApiKeys: validLimit(plan.maxApiKeys, 'maxApiKeys', 1, PLAN_LIMITS.maxApiKeys),
    priceReference: price,
  };
};

// ── A tenant's billing ─────────────────────────────────────────────────────────────────────────

export const decideBilling = (command: BillingCommand, state: BillingAccount): BillingEvent[] => {
  if (!isUuid(command.data.tenantId))
    throw new BillingError('INVALID_PROVIDER_EVENT', 'tenantId must be a UUID');
  switch (command.type) {
    case 'ChangeSubscriptionPlan':
      return changePlan(command, state);
    case 'RecordInvoice':
      return recordInvoice(command, state);
    case 'ChangePaymentStatus':
      return changePaymentStatus(command, state);
    case 'ChangeBillingSettings':
      return changeSettings(command, state);
    default:
      return assertNever(command, 'Unknown billing command');
  }
};

/** A provider event id: 1 to 200 characters, no control characters; never applied twice. */
const validProviderEventId = (id: unknown, state: BillingAccount): string => {
  if (
    typeof id !== 'string' ||
    id.length < 1 ||
    id.length > BILLING_LIMITS.providerEventIdMaxLength ||
    CONTROL.test(id)
  ) {
    throw new BillingError(
      'INVALID_PROVIDER_EVENT',
      `An event id is 1 to ${BILLING_LIMITS.providerEventIdMaxLength} characters`,
    );
  }
  if (state.providerEventIds.has(id)) {
    throw new BillingError('DUPLICATE_PROVIDER_EVENT', 'This event was received before', {
      eventId: id,
    });
  }
  return id;
};

const optionalProviderEventId = (id: string | null | undefined, state: BillingAccount) =>
  id === undefined || id === null ? null : validProviderEventId(id, state);

const changePlan = (
  { data, metadata: { now } }: ChangeSubscriptionPlan,
  state: BillingAccount,
): BillingEvent[] => {
  const providerEventId = optionalProviderEventId(data.providerEventId, state);
  if (!PLAN_CHANGE_SOURCES.includes(data.source)) {
    throw new BillingError('INVALID_PROVIDER_EVENT', 'Unknown source of a plan change');
  }
  const plan = data.catalogue.get(data.planId);
  if (!plan) throw new BillingError('PLAN_NOT_FOUND', `Unknown plan: ${String(data.planId)}`);
  const previousPlanId = state.planId ?? data.currentPlanId;
  if (plan.planId === previousPlanId) return [];
  if (plan.retired) throw new BillingError('PLAN_RETIRED', `The ${plan.planId} plan is retired`);
  return [
    {
      type: 'SubscriptionPlanChanged',
      data: {
        tenantId: data.tenantId,
        planId: plan.planId,
        previousPlanId,
        source: data.source,
        providerEventId,
        changedAt: now.toISOString(),
      },
    },
  ];
};

const recordInvoice = (
  { data, metadata: { now } }: RecordInvoice,
  state: BillingAccount,
): BillingEvent[] => {
  const providerEventId = validProviderEventId(data.providerEventId, state);
  const invalid = (message: string, field: string): never => {
    throw new BillingError('INVALID_INVOICE', message, { field });
  };
  if (!isUuid(data.invoiceId)) invalid('invoiceId must be a UUID', 'invoiceId');
  const reference = typeof data.reference === 'string' ? data.reference.trim() : '';
  if (
    reference.length < 1 ||
    reference.length > BILLING_LIMITS.referenceMaxLength ||
    CONTROL.test(reference) ||
    hasLineBreak(reference)
  )
    invalid(`reference is 1 to ${BILLING_LIMITS.referenceMaxLength} characters`, 'reference');
  if (state.invoiceReferences.has(reference)) {
    throw new BillingError('INVOICE_ALREADY_RECORDED', 'This invoice was recorded before', {
      reference,
    });
  }
  if (
    !Number.isInteger(data.amountMinor) ||
    data.amountMinor < 0 ||
    data.amountMinor > BILLING_LIMITS.maxAmountMinor
  )
    invalid(
      `amountMinor is a whole number of minor units from 0 to ${BILLING_LIMITS.maxAmountMinor}`,
      'amountMinor',
    );
  if (!CURRENCY.test(data.currency)) invalid('currency is an ISO 4217 code (EUR, USD)', 'currency');
  for (const field of ['periodStart', 'periodEnd', 'issuedAt'] as const) {
    if (!isValidDate(data[field])) invalid(`${field} must be a date`, field);
  }
  const days = (data.periodEnd.getTime() - data.periodStart.getTime()) / 86_400_000;
  if (days <= 0 || days > BILLING_LIMITS.maxPeriodDays)
    invalid(
      `the period must end after it starts and last at most ${BILLING_LIMITS.maxPeriodDays} days`,
      'periodEnd',
    );
  return [
    {
      type: 'InvoiceIssued',
      data: {
        tenantId: data.tenantId,
        invoiceId: data.invoiceId,
        reference,
        amountMinor: data.amountMinor,
        currency: data.currency,
        periodStart: data.periodStart.toISOString(),
        periodEnd: data.periodEnd.toISOString(),
        issuedAt: data.issuedAt.toISOString(),
        providerEventId,
        recordedAt: now.toISOString(),
      },
    },
  ];
};

const changePaymentStatus = (
  { data, metadata: { now } }: ChangePaymentStatus,
  state: BillingAccount,
): BillingEvent[] => {
  const providerEventId = optionalProviderEventId(data.providerEventId, state);
  if (!PAYMENT_STATUSES.includes(data.status)) {
    throw new BillingError(
      'INVALID_PAYMENT_STATUS',
      `status is one of ${PAYMENT_STATUSES.join(', ')}`,
    );
  }
  if (data.status === state.paymentStatus) return [];
  return [
    {
      type: 'PaymentStatusChanged',
      data: {
        tenantId: data.tenantId,
        status: data.status,
        previousStatus: state.paymentStatus,
        providerEventId,
        changedAt: now.toISOString(),
      },
    },
  ];
};

const changeSettings = (
  { data, metadata: { now } }: ChangeBillingSettings,
  state: BillingAccount,
): BillingEvent[] => {
  const timeZone = data.timeZone ?? state.timeZone;
  if (!isTimeZone(timeZone)) {
    throw new BillingError(
      'INVALID_BILLING_SETTINGS',
      'timeZone must be an IANA time zone, e.g. Europe/Paris',
      { field: 'timeZone' },
    );
  }
  const overQuota = data.overQuota ?? state.overQuota;
  if (!OVER_QUOTA_POLICIES.includes(overQuota)) {
    throw new BillingError(
      'INVALID_BILLING_SETTINGS',
      `overQuota is one of ${OVER_QUOTA_POLICIES.join(', ')}`,
      { field: 'overQuota' },
    );
  }
  if (timeZone === state.timeZone && overQuota === state.overQuota) return [];
  return [
    {
      type: 'BillingSettingsChanged',
      data: {
        tenantId: data.tenantId,
        timeZone,
        ...(overQuota !== state.overQuota ? { overQuota } : {}),
        changedAt: now.toISOString(),
      },
    },
  ];
};
