/** One stream per tenant: its plan changes, invoices, payment status and billing settings. */
export const BILLING_STREAM_CATEGORY = 'billing';

export const toBillingStreamId = (tenantId: string): string =>
  `${BILLING_STREAM_CATEGORY}-${tenantId}`;

/** The platform's plan catalogue: one stream (category `plan`). */
export const PLAN_CATALOGUE_STREAM_CATEGORY = 'plan';
export const PLAN_CATALOGUE_STREAM_ID = `${PLAN_CATALOGUE_STREAM_CATEGORY}-catalogue`;

/** The tenant id platform-wide events (the plan catalogue) carry in their metadata. */
export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';
