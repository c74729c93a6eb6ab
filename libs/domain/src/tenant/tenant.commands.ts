import type { Command } from '../core/decider.js';

import type { SendingPauseReason } from './tenant.events.js';
import type { ApiKeyRole, RetentionPolicyKind, TenantPlan } from './tenant.plans.js';

export type CreateTenant = Command<
  'CreateTenant',
  {
    tenantId: string;
    name: string;
    plan: TenantPlan;
    /** The plan catalogue's plans open to new tenants; absent: the default catalogue's. */
    availablePlans?: readonly string[];
    /** The first owner's account (MailPackr is its controller). Email and name are personal data. */
    owner?: TenantOwner;
  }
>;

export type TenantOwner = { accountId: string; email: string; name?: string | null };

/**
 * The key itself never reaches the domain: only its SHA-256, hex encoded. `byRole` is the role of
 * the key that asks (absent for the platform operator): only an owner touches owner keys.
 */
export type IssueApiKey = Command<
  'IssueApiKey',
  {
    tenantId: string;
    keyId: string;
    keyHash: string;
    role: ApiKeyRole;
    label: string;
    byRole?: ApiKeyRole;
    /** The account that issued the key from its session: the key is that account's. */
    accountId?: string;
    /** The tenant's plan's limit of working keys (null or absent: none). */
    maxApiKeys?: number | null;
  }
>;

export type RevokeApiKey = Command<
  'RevokeApiKey',
  { tenantId: string; keyId: string; byRole?: ApiKeyRole }
>;

export type ChangeApiKeyRole = Command<
  'ChangeApiKeyRole',
  { tenantId: string; keyId: string; role: ApiKeyRole; byRole?: ApiKeyRole }
>;

/** `days: null` removes the policy. */
export type SetRetentionPolicy = Command<
  'SetRetentionPolicy',
  { tenantId: string; kind: RetentionPolicyKind; days: number | null }
>;

/** Erasure of an account's personal data (MailPackr is the controller of account data). */
export type EraseAccount = Command<
  'EraseAccount',
  {
    tenantId: string;
    accountId: string;
    requestId: string;
    basis: 'gdpr_art17' | 'ccpa_delete' | 'child_under_13';
    requestedBy: string;
  }
>;

/** Stops the tenant's sending; `measured` for an automatic pause (the delivery health check). */
export type PauseTenantSending = Command<
  'PauseTenantSending',
  {
    tenantId: string;
    reason: SendingPauseReason;
    measured?: { rate: number; threshold: number; windowHours: number; messages: number } | null;
  }
>;

export type ResumeTenantSending = Command<'ResumeTenantSending', { tenantId: string }>;

export type TenantCommand =
  | CreateTenant
  | IssueApiKey
  | RevokeApiKey
  | ChangeApiKeyRole
  | SetRetentionPolicy
  | EraseAccount
  | PauseTenantSending
  | ResumeTenantSending;
