import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type BillingErrorCode =
  | 'PLAN_NOT_FOUND'
  | 'PLAN_RETIRED'
  | 'INVALID_PLAN'
  | 'INVALID_INVOICE'
  | 'INVALID_PAYMENT_STATUS'
  | 'INVALID_BILLING_SETTINGS'
  | 'INVALID_PROVIDER_EVENT'
  | 'DUPLICATE_PROVIDER_EVENT'
  | 'INVOICE_ALREADY_RECORDED'
  | 'MONTHLY_QUOTA_EXCEEDED'
  | 'CONTACT_LIMIT_EXCEEDED'
  | 'PAYMENT_PAST_DUE'
  | 'SUBSCRIPTION_CANCELLED';

/** The one place a billing error code gets its API kind. */
export const billingErrorKinds: ErrorKindTable<BillingErrorCode> = {
  PLAN_NOT_FOUND: 'BAD_USER_INPUT',
  PLAN_RETIRED: 'BAD_USER_INPUT',
  INVALID_PLAN: 'BAD_USER_INPUT',
  INVALID_INVOICE: 'BAD_USER_INPUT',
  INVALID_PAYMENT_STATUS: 'BAD_USER_INPUT',
  INVALID_BILLING_SETTINGS: 'BAD_USER_INPUT',
  INVALID_PROVIDER_EVENT: 'BAD_USER_INPUT',
  DUPLICATE_PROVIDER_EVENT: 'CONFLICT',
  INVOICE_ALREADY_RECORDED: 'CONFLICT',
  MONTHLY_QUOTA_EXCEEDED: 'CONFLICT',
  CONTACT_LIMIT_EXCEEDED: 'CONFLICT',
  PAYMENT_PAST_DUE: 'CONFLICT',
  SUBSCRIPTION_CANCELLED: 'CONFLICT',
};

/** `details` carries the counts and limits (never personal data), e.g. `{ limit, used }`. */
export class BillingError extends DomainError<BillingErrorCode> {
  constructor(
    code: BillingErrorCode,
    message?: string,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(code, billingErrorKinds, message, details);
  }
}
