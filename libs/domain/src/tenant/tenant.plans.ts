export const TENANT_PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type TenantPlan = (typeof TENANT_PLANS)[number];

export const isTenantPlan = (value: unknown): value is TenantPlan =>
  (TENANT_PLANS as readonly unknown[]).includes(value);

export const API_KEY_ROLES = [
  'owner',
  'admin',
  'marketer',
  'support',
  'auditor',
  'viewer',
] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export const isApiKeyRole = (value: unknown): value is ApiKeyRole =>
  (API_KEY_ROLES as readonly unknown[]).includes(value);
