import { BillingError } from './billing.errors.js';
import type { PaymentStatus } from './billing.events.js';
import type { Plan } from './billing.plans.js';

const DAY_MS = 86_400_000;

/** Where a tenant's payment stands for launching: `graceEndsAt` is set while past due. */
export interface PaymentStanding {
  status: PaymentStatus;
  since: string | null;
  graceDays: number;
}

/** When a past-due tenant's grace period ends (null when not past due). */
export const graceEndsAt = (payment: PaymentStanding): Date | null =>
  payment.status === 'past_due' && payment.since !== null
    ? new Date(Date.parse(payment.since) + payment.graceDays * DAY_MS)
    : null;

/**
 * Whether a new campaign may launch: refused while payment has been past due for longer than the
 * grace period, or once the subscription is cancelled. Data stays intact and exportable; a
 * payment that becomes active again lifts it at once.
 */
export const assertPaymentAllowsLaunch = (payment: PaymentStanding, now: Date): void => {
  if (payment.status === 'cancelled') {
    throw new BillingError(
      'SUBSCRIPTION_CANCELLED',
      'The subscription is cancelled: new campaigns cannot launch (your data stays available)',
      { paymentStatus: payment.status },
    );
  }
  const ends = graceEndsAt(payment);
  if (ends !== null && now.getTime() > ends.getTime()) {
    throw new BillingError(
      'PAYMENT_PAST_DUE',
      `Payment has been past due since ${payment.since} (grace period ${payment.graceDays} days): new campaigns cannot launch until it is settled`,
      { paymentStatus: payment.status, since: payment.since, graceEndsAt: ends.toISOString() },
    );
  }
};

/**
 * Refuses a launch of `audience` messages when it is over what is left of the plan's monthly
 * quota (`used`: messages launched this calendar month in the tenant's time zone).
 */
export const assertWithinMonthlyQuota = (input: {
  plan: Plan;
  used: number;
  audience: number;
  month: string;
}): void => {
  const { plan, used, audience, month } = input;
  const quota = plan.monthlyMessageQuota;
  if (quota === null) return;
  const left = Math.max(0, quota - used);
  if (audience <= left) return;
  throw new BillingError(
    'MONTHLY_QUOTA_EXCEEDED',
    `The audience of ${audience} is over the ${left} messages left this month (${month}) on the ${plan.planId} plan (quota ${quota}, ${used} used)`,
    { planId: plan.planId, month, quota, used, left, audience },
  );
};

/**
 * How many of a launch's `audience` messages the month's quota lets it send: null when all of
 * them (an unlimited plan, or within what is left). Over what is left, `refuse` throws
 * `MONTHLY_QUOTA_EXCEEDED` (as `assertWithinMonthlyQuota`); `pause` allows what is left (maybe 0).
 */
export const monthlySendAllowance = (input: {
  plan: Plan;
  used: number;
  audience: number;
  month: string;
  overQuota: 'refuse' | 'pause';
}): number | null => {
  const { plan, used, audience, overQuota } = input;
  const quota = plan.monthlyMessageQuota;
  if (quota === null) return null;
  const left = Math.max(0, quota - used);
  if (audience <= left) return null;
  if (overQuota === 'pause') return left;
  assertWithinMonthlyQuota(input);
  return null;
};

/** Refuses adding `adding` new contacts to `contacts` when that passes the plan's limit. */
export const assertContactCapacity = (input: {
  plan: Plan;
  contacts: number;
  adding: number;
}): void => {
  const { plan, contacts, adding } = input;
  const limit = plan.maxContacts;
  if (limit === null || contacts + adding <= limit) return;
  throw new BillingError(
    'CONTACT_LIMIT_EXCEEDED',
    `The import would add ${adding} contacts to ${contacts}: over the ${plan.planId} plan's limit of ${limit} contacts (room for ${Math.max(0, limit - contacts)})`,
    { planId: plan.planId, limit, contacts, adding, room: Math.max(0, limit - contacts) },
  );
};
