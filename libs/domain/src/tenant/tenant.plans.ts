import { DEFAULT_PLANS, isPlanId } from '../billing/billing.plans.js';

/**
 * A plan id of the plan catalogue (plans are data: see `billing/`). `TENANT_PLANS` are the ids of
 * the catalogue a new installation starts with, which a tenant is checked against when the
 * caller does not pass the current catalogue (`CreateTenant.availablePlans`).
 */
export type TenantPlan = string;
export const TENANT_PLANS: readonly string[] = DEFAULT_PLANS.map((p) => p.planId);

/** A well-formed plan id (whether the catalogue holds it is for the catalogue to say). */
export const isTenantPlan = (value: unknown): value is TenantPlan => isPlanId(value);

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

/**
 * Retention policies a tenant can set (policy §7, "only as long as necessary"):
 * - `unsubscribed_recipients`: erase recipients who left all their lists more than N days ago;
 * - `inactive_recipients`: erase recipients with no activity for N days;
 * - `delivery_details`: drop message-level delivery details after N days.
 */
export const RETENTION_POLICY_KINDS = [
  'unsubscribed_recipients',
  'inactive_recipients',
  'delivery_details',
] as const;
export type RetentionPolicyKind = (typeof RETENTION_POLICY_KINDS)[number];
export const isRetentionPolicyKind = (value: unknown): value is RetentionPolicyKind =>
  typeof value === 'string' && (RETENTION_POLICY_KINDS as readonly string[]).includes(value);
/** Bounds of a policy's age in days: at least a day, at most ten years. */
export const RETENTION_DAYS = { min: 1, max: 3650 } as const;
