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
    /** Set when an account issued the key from its session: the key belongs to it. */
    accountId?: string;
  }
>;

export type ApiKeyRevoked = Event<
  'ApiKeyRevoked',
  { tenantId: string; keyId: string; revokedAt: string }
>;

/** A role change is a fact of its own, so the history says who could do what, and when. */
export type ApiKeyRoleChanged = Event<
  'ApiKeyRoleChanged',
  { tenantId: string; keyId: string; role: ApiKeyRole; previousRole: ApiKeyRole; changedAt: string }
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

/** Why a tenant's sending stopped: its bounce or complaint rate passed the limit, or by hand. */
export const SENDING_PAUSE_REASONS = ['bounce_rate', 'complaint_rate', 'manual'] as const;
export type SendingPauseReason = (typeof SENDING_PAUSE_REASONS)[number];

/**
 * The tenant's sending stops: no message of any of its campaigns is sent until it is resumed.
 * For an automatic pause, the rate seen over the window, the limit it passed and how many
 * messages the window held.
 */
export type TenantSendingPaused = Event<
  'TenantSendingPaused',
  {
    tenantId: string;
    reason: SendingPauseReason;
    rate: number | null;
    threshold: number | null;
    windowHours: number | null;
    messages: number | null;
    pausedAt: string;
  }
>;

export type TenantSendingResumed = Event<
  'TenantSendingResumed',
  { tenantId: string; resumedAt: string }
>;

export type TenantEvent =
  | TenantCreated
  | ApiKeyIssued
  | ApiKeyRevoked
  | ApiKeyRoleChanged
  | RetentionPolicySet
  | AccountErased
  | TenantSendingPaused
  | TenantSendingResumed;

export type TenantEventType = TenantEvent['type'];

const tenantEventTypes = {
  TenantCreated: true,
  ApiKeyIssued: true,
  ApiKeyRevoked: true,
  ApiKeyRoleChanged: true,
  RetentionPolicySet: true,
  AccountErased: true,
  TenantSendingPaused: true,
  TenantSendingResumed: true,
} satisfies Record<TenantEventType, true>;

/** Every tenant event type, e.g. for a subscription filter. */
export const TENANT_EVENT_TYPES = Object.keys(tenantEventTypes) as readonly TenantEventType[];

export const isTenantEventType = (type: string): type is TenantEventType =>
  Object.hasOwn(tenantEventTypes, type);
