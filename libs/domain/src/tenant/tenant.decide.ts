import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid } from '../core/validation.js';

import type {
  CreateTenant,
  EraseAccount,
  PauseTenantSending,
  ResumeTenantSending,
  SetRetentionPolicy,
  ChangeApiKeyRole,
  IssueApiKey,
  RevokeApiKey,
  TenantCommand,
  TenantOwner,
} from './tenant.commands.js';
import { TenantError } from './tenant.errors.js';
import { SENDING_PAUSE_REASONS, type TenantEvent } from './tenant.events.js';
import {
  RETENTION_DAYS,
  RETENTION_POLICY_KINDS,
  isApiKeyRole,
  isRetentionPolicyKind,
  TENANT_PLANS,
  type ApiKeyRole,
  type TenantPlan,
} from './tenant.plans.js';
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
    case 'ChangeApiKeyRole':
      return changeApiKeyRole(command, state);
    case 'SetRetentionPolicy':
      return setRetentionPolicy(command, state);
    case 'EraseAccount':
      return eraseAccount(command, state);
    case 'PauseTenantSending':
      return pauseSending(command, state);
    case 'ResumeTenantSending':
      return resumeSending(command, state);
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
        plan: validPlan(data.plan, data.availablePlans ?? TENANT_PLANS),
        owner: data.owner ? validOwner(data.owner) : null,
        createdAt: now.toISOString(),
      },
    },
  ];
};

const issueApiKey = ({ data, metadata: { now } }: IssueApiKey, state: Tenant): TenantEvent[] => {
  const tenant = existing(state, data.tenantId);
  if (tenant.apiKeys.has(data.keyId)) throw new TenantError('API_KEY_ALREADY_EXISTS');
  const role = validRole(data.role);
  if (role === 'owner') onlyAnOwner(data.byRole);
  const max = data.maxApiKeys ?? null;
  const working = [...tenant.apiKeys.values()].filter((k) => k.revokedAt === null).length;
  if (max !== null && working >= max)
    throw new TenantError(
      'API_KEY_LIMIT_REACHED',
      `The plan allows ${max} working API keys and the tenant has ${working}: revoke one or change plan`,
    );
  return [
    {
      type: 'ApiKeyIssued',
      data: {
        tenantId: tenant.tenantId,
        keyId: data.keyId,
        keyHash: validKeyHash(data.keyHash),
        role,
        label: validLabel(data.label),
        issuedAt: now.toISOString(),
        ...(data.accountId === undefined ? {} : { accountId: validAccountId(data.accountId) }),
      },
    },
  ];
};

const revokeApiKey = ({ data, metadata: { now } }: RevokeApiKey, state: Tenant): TenantEvent[] => {
  const tenant = existing(state, data.tenantId);
  const key = tenant.apiKeys.get(data.keyId);
  if (!key) throw new TenantError('API_KEY_NOT_FOUND');
  if (key.revokedAt !== null) return [];
  if (key.role === 'owner') {
    onlyAnOwner(data.byRole);
    notTheLastOwner(tenant, key.keyId);
  }
  return [
    {
      type: 'ApiKeyRevoked',
      data: { tenantId: tenant.tenantId, keyId: key.keyId, revokedAt: now.toISOString() },
    },
  ];
};

const changeApiKeyRole = (
  { data, metadata: { now } }: ChangeApiKeyRole,
  state: Tenant,
): TenantEvent[] => {
  const tenant = existing(state, data.tenantId);
  const key = tenant.apiKeys.get(data.keyId);
  if (!key || key.revokedAt !== null) throw new TenantError('API_KEY_NOT_FOUND');
  const role = validRole(data.role);
  if (role === key.role) return [];
  if (role === 'owner' || key.role === 'owner') onlyAnOwner(data.byRole);
  if (key.role === 'owner') notTheLastOwner(tenant, key.keyId);
  return [
    {
      type: 'ApiKeyRoleChanged',
      data: {
        tenantId: tenant.tenantId,
        keyId: key.keyId,
        role,
        previousRole: key.role,
        changedAt: now.toISOString(),
      },
    },
  ];
};

/** Owner keys are issued, re-roled and revoked by owners (or the platform operator) only. */
const onlyAnOwner = (byRole: ApiKeyRole | undefined): void => {
  if (byRole !== undefined && byRole !== 'owner')
    throw new TenantError(
      'OWNER_KEY_PROTECTED',
      'Only an owner can grant, change or revoke owner keys',
    );
};

/** A tenant always keeps one working owner key, so nobody locks it out of its own data. */
const notTheLastOwner = (tenant: Extract<Tenant, { status: 'Active' }>, keyId: string): void => {
  const others = [...tenant.apiKeys.values()].filter(
    (k) => k.role === 'owner' && k.revokedAt === null && k.keyId !== keyId,
  );
  if (others.length === 0)
    throw new TenantError(
      'LAST_OWNER_KEY',
      'This is the last owner key: issue another owner key first',
    );
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

const validPlan = (plan: unknown, available: readonly string[]): TenantPlan => {
  if (typeof plan !== 'string' || !available.includes(plan))
    throw new TenantError('INVALID_PLAN', `Unknown plan; one of ${available.join(', ')}`);
  return plan;
};

/** Stored lower-case, as `createHash('sha256').digest('hex')` produces it. */
const validKeyHash = (keyHash: unknown): string => {
  if (typeof keyHash !== 'string' || !SHA256_HEX.test(keyHash)) {
    throw new TenantError('INVALID_API_KEY_HASH', 'keyHash must be a hex SHA-256 (64 characters)');
  }
  return keyHash.toLowerCase();
};

const validAccountId = (accountId: unknown): string => {
  if (!isUuid(accountId)) throw new TenantError('ACCOUNT_NOT_FOUND', 'accountId must be a UUID');
  return accountId;
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

const activeTenant = (state: Tenant, tenantId: string): Extract<Tenant, { status: 'Active' }> => {
  if (state.status !== 'Active' || state.tenantId !== tenantId)
    throw new TenantError('TENANT_NOT_FOUND');
  return state;
};

const setRetentionPolicy = (
  { data, metadata: { now } }: SetRetentionPolicy,
  state: Tenant,
): TenantEvent[] => {
  const tenant = activeTenant(state, data.tenantId);
  if (!isRetentionPolicyKind(data.kind)) {
    throw new TenantError(
      'INVALID_RETENTION_POLICY',
      `Unknown retention policy; one of ${RETENTION_POLICY_KINDS.join(', ')}`,
    );
  }
  const { days } = data;
  if (
    days !== null &&
    (!Number.isInteger(days) || days < RETENTION_DAYS.min || days > RETENTION_DAYS.max)
  ) {
    throw new TenantError(
      'INVALID_RETENTION_POLICY',
      `A retention period is a whole number of days from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}`,
    );
  }
  if ((tenant.retention[data.kind] ?? null) === days) return [];
  return [
    {
      type: 'RetentionPolicySet',
      data: { tenantId: tenant.tenantId, kind: data.kind, days, setAt: now.toISOString() },
    },
  ];
};

/** Paused already: nothing to do (the first pause and its reason stand). */
const pauseSending = (
  { data, metadata: { now } }: PauseTenantSending,
  state: Tenant,
): TenantEvent[] => {
  const tenant = activeTenant(state, data.tenantId);
  if (!SENDING_PAUSE_REASONS.includes(data.reason)) {
    throw new TenantError(
      'INVALID_SENDING_PAUSE',
      `reason must be one of ${SENDING_PAUSE_REASONS.join(', ')}`,
    );
  }
  const measured = data.measured ?? null;
  if (measured !== null) {
    const { rate, threshold, windowHours, messages } = measured;
    const fraction = (n: number) => Number.isFinite(n) && n >= 0 && n <= 1;
    if (
      !fraction(rate) ||
      !fraction(threshold) ||
      !Number.isInteger(windowHours) ||
      windowHours < 1 ||
      !Number.isInteger(messages) ||
      messages < 0
    ) {
      throw new TenantError('INVALID_SENDING_PAUSE', 'The measured rate is out of range');
    }
  }
  if (tenant.sendingPaused) return [];
  return [
    {
      type: 'TenantSendingPaused',
      data: {
        tenantId: tenant.tenantId,
        reason: data.reason,
        rate: measured?.rate ?? null,
        threshold: measured?.threshold ?? null,
        windowHours: measured?.windowHours ?? null,
        messages: measured?.messages ?? null,
        pausedAt: now.toISOString(),
      },
    },
  ];
};

/** Not paused: nothing to do. */
const resumeSending = (
  { data, metadata: { now } }: ResumeTenantSending,
  state: Tenant,
): TenantEvent[] => {
  const tenant = activeTenant(state, data.tenantId);
  if (!tenant.sendingPaused) return [];
  return [
    {
      type: 'TenantSendingResumed',
      data: { tenantId: tenant.tenantId, resumedAt: now.toISOString() },
    },
  ];
};

const ACCOUNT_ERASURE_BASES: ReadonlyArray<EraseAccount['data']['basis']> = [
  'gdpr_art17',
  'ccpa_delete',
  'child_under_13',
];

const eraseAccount = ({ data, metadata: { now } }: EraseAccount, state: Tenant): TenantEvent[] => {
  const tenant = activeTenant(state, data.tenantId);
  if (!tenant.owner || tenant.owner.accountId !== data.accountId) {
    throw new TenantError('ACCOUNT_NOT_FOUND');
  }
  if (tenant.owner.erasedAt !== null) return [];
  if (!ACCOUNT_ERASURE_BASES.includes(data.basis)) throw new TenantError('INVALID_LEGAL_BASIS');
  return [
    {
      type: 'AccountErased',
      data: {
        tenantId: tenant.tenantId,
        accountId: data.accountId,
        requestId: data.requestId,
        basis: data.basis,
        requestedBy: data.requestedBy,
        erasedAt: now.toISOString(),
      },
    },
  ];
};
