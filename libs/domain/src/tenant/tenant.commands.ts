import type { Command } from '../core/decider.js';

import type { ApiKeyRole, TenantPlan } from './tenant.plans.js';

export type CreateTenant = Command<
  'CreateTenant',
  {
    tenantId: string;
    name: string;
    plan: TenantPlan;
    /** The first owner's account (MailPackr is its controller). Email and name are personal data. */
    owner?: TenantOwner;
  }
>;

export type TenantOwner = { accountId: string; email: string; name?: string | null };

/** The key itself never reaches the domain: only its SHA-256, hex encoded. */
export type IssueApiKey = Command<
  'IssueApiKey',
  { tenantId: string; keyId: string; keyHash: string; role: ApiKeyRole; label: string }
>;

export type RevokeApiKey = Command<'RevokeApiKey', { tenantId: string; keyId: string }>;

export type TenantCommand = CreateTenant | IssueApiKey | RevokeApiKey;
