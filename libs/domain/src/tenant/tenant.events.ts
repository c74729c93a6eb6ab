import type { Event } from '../core/decider.js';

import type { ApiKeyRole, RetentionPolicyKind, TenantPlan } from './tenant.plans.js';

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type TenantCreated = Event<
  'TenantCreated',
  {
    tenantId: string;
    name: string;
    plan: TenantPlan;
    /** Personal data (email, name) is stored encrypted under the owner account's own key. */
    owner: { accountId: string; email: string; name: string | null } | null;
    createdAt: string;
  }
>;

export type ApiKeyIssued = Event<
  'ApiKeyIssued',
  {
    tenantId: string;
    keyId: string;
    keyHash: string;
    role: ApiKeyRole;
    label: string;
    issuedAt: string;
  }
>;

export type ApiKeyRevoked = Event<
  'ApiKeyRevoked',
  { tenantId: string; keyId: string; revokedAt: string }
>;

export type RetentionPolicySet = Event<
  'RetentionPolicySet',
  { tenantId: string; kind: RetentionPolicyKind; days: number | null; setAt: string }
>;

/** No personal data: the account's fields became unreadable when its key was destroyed. */
export type AccountErased = Event<
  'AccountErased',
  {
    tenantId: string;
    accountId: string;
    requestId: string;
    basis: 'gdpr_art17' | 'ccpa_delete' | 'child_under_13';
    requestedBy: string;
    erasedAt: string;
  }
>;

export type TenantEvent =
  TenantCreated | ApiKeyIssued | ApiKeyRevoked | RetentionPolicySet | AccountErased;

export type TenantEventType = TenantEvent['type'];

const tenantEventTypes = {
  TenantCreated: true,
  ApiKeyIssued: true,
  ApiKeyRevoked: true,
  RetentionPolicySet: true,
  AccountErased: true,
} satisfies Record<TenantEventType, true>;

/** Every tenant event type, e.g. for a subscription filter. */
export const TENANT_EVENT_TYPES = Object.keys(tenantEventTypes) as readonly TenantEventType[];

export const isTenantEventType = (type: string): type is TenantEventType =>
  Object.hasOwn(tenantEventTypes, type);
