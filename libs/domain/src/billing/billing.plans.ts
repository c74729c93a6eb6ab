/**
 * Plans are data: the platform operator keeps a catalogue of them (`PlanDefined` / `PlanRetired`
 * on the `plan-catalogue` stream). A new installation starts from `DEFAULT_PLANS`, appended as
 * events the first time the catalogue is read, so nothing about a plan lives in code afterwards.
 */
export type Plan = Readonly<{
  planId: string;
  name: string;
  /** Messages a tenant may launch per calendar month (its time zone); null: unlimited. */
  monthlyMessageQuota: number | null;
  /** Contacts (active recipients) a tenant may hold; null: unlimited. */
  maxContacts: number | null;
  /** Working (not revoked) API keys a tenant may hold; null: unlimited. */
  maxApiKeys: number | null;
  /** The billing provider's price id (a reference, never an amount we charge from). */
  priceReference: string | null;
}>;

/** Bounds that keep a plan sane: a negative or absurd quota is refused (`INVALID_PLAN`). */
export const PLAN_LIMITS = {
  maxMonthlyMessages: 1_000_000_000,
  maxContacts: 100_000_000,
  maxApiKeys: 10_000,
  nameMaxLength: 80,
  priceReferenceMaxLength: 200,
} as const;

/** `free`, `pro`, `team_2025`: lower-case letters, digits, `_` and `-`, 1 to 40 characters. */
const PLAN_ID = /^[a-z][a-z0-9_-]{0,39}$/;

export const isPlanId = (value: unknown): value is string =>
  typeof value === 'string' && PLAN_ID.test(value);

/** The catalogue a new installation starts with (the operator changes it with events). */
export const DEFAULT_PLANS: readonly Plan[] = [
  {
    planId: 'free',
    name: 'Free',
    monthlyMessageQuota: 2_000,
    maxContacts: 1_000,
    maxApiKeys: 10,
    priceReference: null,
  },
  {
    planId: 'starter',
    name: 'Starter',
    monthlyMessageQuota: 50_000,
    maxContacts: 10_000,
    maxApiKeys: 20,
    priceReference: 'price_starter_monthly',
  },
  {
    planId: 'pro',
    name: 'Pro',
    monthlyMessageQuota: 500_000,
    maxContacts: 100_000,
    maxApiKeys: 50,
    priceReference: 'price_pro_monthly',
  },
  {
    planId: 'enterprise',
    name: 'Enterprise',
    monthlyMessageQuota: null,
    maxContacts: null,
    maxApiKeys: null,
    priceReference: 'price_enterprise_contract',
  },
];
