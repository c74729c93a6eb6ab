import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid } from '../core/validation.js';

import type {
  CreateTenant,
  IssueApiKey,
  RevokeApiKey,
  TenantCommand,
  TenantOwner,
} from './tenant.commands.js';
import { TenantError } from './tenant.errors.js';
import type { TenantEvent } from './tenant.events.js';
import { isApiKeyRole, isTenantPlan, type ApiKeyRole, type TenantPlan } from './tenant.plans.js';
import type { Tenant } from './tenant.state.js';

export const TENANT_LIMITS = {
  nameMaxLength: 120,
  apiKeyLabelMaxLength: 100,
} as const;

const SHA256_HEX = /^[0-9a-f]{64}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const validOwner = (
  owner: TenantOwner,
): { accountId: string; email: string; name: string | null } => {
  if (!isUuid(owner.accountId)) throw new TenantError('INVALID_OWNER');
  const email = owner.email.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw new TenantError('INVALID_OWNER_EMAIL');
  const at = email.lastIndexOf('@');
  const name = owner.name?.trim() || null;
  if (name !== null && (name.length > 200 || hasLineBreak(name)))
    throw new TenantError('INVALID_OWNER');
  return {
    accountId: owner.accountId,
    email: email.slice(0, at) + email.slice(at).toLowerCase(),
    name,
  };
};

export const decideTenant = (command: TenantCommand, state: Tenant): TenantEvent[] => {
  switch (command.type) {
    case 'CreateTenant':
      return create(command, state);
    case 'IssueApiKey':
      return issueApiKey(command, state);
    case 'RevokeApiKey':
      return revokeApiKey(command, state);
    default:
      return assertNever(command, 'Unknown tenant command');
  }
};

const create = ({ data, metadata: { now } }: CreateTenant, state: Tenant): TenantEvent[] => {
  if (state.status !== 'Empty') throw new TenantError('TENANT_ALREADY_EXISTS');
  return [
    {
      type: 'TenantCreated',
      data: {
        tenantId: data.tenantId,
        name: validName(data.name),
        plan: validPlan(data.plan),
        owner: data.owner ? validOwner(data.owner) : null,
        createdAt: now.toISOString(),
      },
    },
  ];
};

const issueApiKey = ({ data, metadata: { now } }: IssueApiKey, state: Tenant): TenantEvent[] => {
  const tenant = existing(state, data.tenantId);
  if (tenant.apiKeys.has(data.keyId)) throw new TenantError('API_KEY_ALREADY_EXISTS');
  return [
    {
      type: 'ApiKeyIssued',
      data: {
        tenantId: tenant.tenantId,
        keyId: data.keyId,
        keyHash: validKeyHash(data.keyHash),
        role: validRole(data.role),
        label: validLabel(data.label),
        issuedAt: now.toISOString(),
      },
    },
  ];
};

const revokeApiKey = ({ data, metadata: { now } }: RevokeApiKey, state: Tenant): TenantEvent[] => {
  const tenant = existing(state, data.tenantId);
  const key = tenant.apiKeys.get(data.keyId);
  if (!key) throw new TenantError('API_KEY_NOT_FOUND');
  if (key.revokedAt !== null) return [];
  return [
    {
      type: 'ApiKeyRevoked',
      data: { tenantId: tenant.tenantId, keyId: key.keyId, revokedAt: now.toISOString() },
    },
  ];
};

const existing = (state: Tenant, tenantId: string): Extract<Tenant, { status: 'Active' }> => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new TenantError('TENANT_NOT_FOUND');
  }
  return state;
};

// ── Validation: each returns the normalised value or throws a typed error ──────────────────────

const validName = (name: unknown): string => {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length < 1 || trimmed.length > TENANT_LIMITS.nameMaxLength) {
    throw new TenantError(
      'INVALID_TENANT_NAME',
      `Tenant name must be 1 to ${TENANT_LIMITS.nameMaxLength} characters`,
    );
  }
  return trimmed;
};

const validPlan = (plan: unknown): TenantPlan => {
  if (!isTenantPlan(plan)) throw new TenantError('INVALID_PLAN', 'Unknown plan');
  return plan;
};

/** Stored lower-case, as `createHash('sha256').digest('hex')` produces it. */
const validKeyHash = (keyHash: unknown): string => {
  if (typeof keyHash !== 'string' || !SHA256_HEX.test(keyHash)) {
    throw new TenantError('INVALID_API_KEY_HASH', 'keyHash must be a hex SHA-256 (64 characters)');
  }
  return keyHash.toLowerCase();
};

const validRole = (role: unknown): ApiKeyRole => {
  if (!isApiKeyRole(role)) throw new TenantError('INVALID_API_KEY_ROLE', 'Unknown role');
  return role;
};

const validLabel = (label: unknown): string => {
  const trimmed = typeof label === 'string' ? label.trim() : '';
  if (trimmed.length < 1 || trimmed.length > TENANT_LIMITS.apiKeyLabelMaxLength) {
    throw new TenantError(
      'INVALID_API_KEY_LABEL',
      `label must be 1 to ${TENANT_LIMITS.apiKeyLabelMaxLength} characters`,
    );
  }
  return trimmed;
};
