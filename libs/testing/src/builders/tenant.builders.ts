import { createHash, randomBytes } from 'node:crypto';

import type {
  ApiKeyIssued,
  ChangeApiKeyRole,
  ApiKeyRevoked,
  CreateTenant,
  IssueApiKey,
  PauseTenantSending,
  ResumeTenantSending,
  RevokeApiKey,
  TenantCreated,
  TenantSendingPaused,
  TenantSendingResumed,
} from '#domain';

import { aNow, anId } from './common.builders.js';

type WithNow = { now?: Date };

/** The SHA-256 (hex) of a fresh random key, as the API stores it. */
export const anApiKeyHash = (): string =>
  createHash('sha256').update(randomBytes(32)).digest('hex');

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const aCreateTenant = ({
  now = aNow(),
  ...overrides
}: Partial<CreateTenant['data']> & WithNow = {}): CreateTenant => ({
  type: 'CreateTenant',
  data: { tenantId: anId(), name: 'Acme Ltd', plan: 'starter', ...overrides },
  metadata: { now },
});

export const anIssueApiKey = ({
  now = aNow(),
  ...overrides
}: Partial<IssueApiKey['data']> & WithNow = {}): IssueApiKey => ({
  type: 'IssueApiKey',
  data: {
    tenantId: anId(),
    keyId: anId(),
    keyHash: anApiKeyHash(),
    role: 'marketer',
    label: 'Newsletter automation',
    ...overrides,
  },
  metadata: { now },
});

export const aRevokeApiKey = ({
  now = aNow(),
  ...overrides
}: Partial<RevokeApiKey['data']> & WithNow = {}): RevokeApiKey => ({
  type: 'RevokeApiKey',
  data: { tenantId: anId(), keyId: anId(), ...overrides },
  metadata: { now },
});

export const aChangeApiKeyRole = ({
  now = aNow(),
  ...overrides
}: Partial<ChangeApiKeyRole['data']> & WithNow = {}): ChangeApiKeyRole => ({
  type: 'ChangeApiKeyRole',
  data: { tenantId: anId(), keyId: anId(), role: 'viewer', ...overrides },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const aTenantCreated = (overrides: Partial<TenantCreated['data']> = {}): TenantCreated => ({
  type: 'TenantCreated',
  data: {
    tenantId: anId(),
    name: 'Acme Ltd',
    plan: 'starter',
    owner: null,
    createdAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anApiKeyIssued = (overrides: Partial<ApiKeyIssued['data']> = {}): ApiKeyIssued => ({
  type: 'ApiKeyIssued',
  data: {
    tenantId: anId(),
    keyId: anId(),
    keyHash: anApiKeyHash(),
    role: 'marketer',
    label: 'Newsletter automation',
    issuedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anApiKeyRevoked = (overrides: Partial<ApiKeyRevoked['data']> = {}): ApiKeyRevoked => ({
  type: 'ApiKeyRevoked',
  data: { tenantId: anId(), keyId: anId(), revokedAt: aNow().toISOString(), ...overrides },
});

export const aPauseTenantSending = ({
  now = aNow(),
  ...overrides
}: Partial<PauseTenantSending['data']> & WithNow = {}): PauseTenantSending => ({
  type: 'PauseTenantSending',
  data: { tenantId: anId(), reason: 'manual', ...overrides },
  metadata: { now },
});

export const aResumeTenantSending = ({
  now = aNow(),
  ...overrides
}: Partial<ResumeTenantSending['data']> & WithNow = {}): ResumeTenantSending => ({
  type: 'ResumeTenantSending',
  data: { tenantId: anId(), ...overrides },
  metadata: { now },
});

/** An automatic pause: a bounce rate of 12 % over 24 hours and 200 messages. */
export const aTenantSendingPaused = (
  overrides: Partial<TenantSendingPaused['data']> = {},
): TenantSendingPaused => ({
  type: 'TenantSendingPaused',
  data: {
    tenantId: anId(),
    reason: 'bounce_rate',
    rate: 0.12,
    threshold: 0.1,
    windowHours: 24,
    messages: 200,
    pausedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aTenantSendingResumed = (
  overrides: Partial<TenantSendingResumed['data']> = {},
): TenantSendingResumed => ({
  type: 'TenantSendingResumed',
  data: { tenantId: anId(), resumedAt: aNow().toISOString(), ...overrides },
});
