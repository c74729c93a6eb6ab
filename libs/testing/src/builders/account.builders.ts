import { createHmac, randomBytes } from 'node:crypto';

import type {
  AccountErased,
  AccountPasswordChanged,
  AccountRegistered,
  AccountRoleChanged,
  ChangeAccountPassword,
  ChangeAccountRole,
  EraseAccount,
  RegisterAccount,
} from '#domain';

import { aNow, anId } from './common.builders.js';

type WithNow = { now?: Date };

/** A well-formed argon2id PHC string (random salt and hash: nothing verifies against it). */
export const aPasswordHash = (): string =>
  `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64').replace(/=+$/, '')}$${randomBytes(32).toString('base64').replace(/=+$/, '')}`;

/** A keyed index of an address, as the platform computes it (with a throwaway key here). */
export const anAccountEmailIndex = (email: string): string =>
  createHmac('sha256', 'test-index-key').update(email.trim().toLowerCase()).digest('hex');

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const aRegisterAccount = ({
  now = aNow(),
  ...overrides
}: Partial<RegisterAccount['data']> & WithNow = {}): RegisterAccount => {
  const email = overrides.email ?? `ada.${anId()}@example.org`;
  return {
    type: 'RegisterAccount',
    data: {
      tenantId: anId(),
      accountId: anId(),
      email,
      emailIndex: anAccountEmailIndex(email),
      name: 'Ada Lovelace',
      company: 'Analytical Engines Ltd',
      passwordHash: aPasswordHash(),
      role: 'marketer',
      ...overrides,
    },
    metadata: { now },
  };
};

export const aChangeAccountPassword = ({
  now = aNow(),
  ...overrides
}: Partial<ChangeAccountPassword['data']> & WithNow = {}): ChangeAccountPassword => ({
  type: 'ChangeAccountPassword',
  data: { tenantId: anId(), accountId: anId(), passwordHash: aPasswordHash(), ...overrides },
  metadata: { now },
});

export const aChangeAccountRole = ({
  now = aNow(),
  ...overrides
}: Partial<ChangeAccountRole['data']> & WithNow = {}): ChangeAccountRole => ({
  type: 'ChangeAccountRole',
  data: { tenantId: anId(), accountId: anId(), role: 'viewer', ...overrides },
  metadata: { now },
});

export const anEraseAccount = ({
  now = aNow(),
  ...overrides
}: Partial<EraseAccount['data']> & WithNow = {}): EraseAccount => ({
  type: 'EraseAccount',
  data: {
    tenantId: anId(),
    accountId: anId(),
    requestId: anId(),
    basis: 'gdpr_art17',
    requestedBy: 'operator:cli',
    ...overrides,
  },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const anAccountRegistered = (
  overrides: Partial<AccountRegistered['data']> = {},
): AccountRegistered => {
  const email = overrides.email ?? `ada.${anId()}@example.org`;
  return {
    type: 'AccountRegistered',
    data: {
      tenantId: anId(),
      accountId: anId(),
      email,
      emailIndex: anAccountEmailIndex(email),
      name: 'Ada Lovelace',
      company: 'Analytical Engines Ltd',
      passwordHash: aPasswordHash(),
      role: 'marketer',
      registeredAt: aNow().toISOString(),
      ...overrides,
    },
  };
};

export const anAccountPasswordChanged = (
  overrides: Partial<AccountPasswordChanged['data']> = {},
): AccountPasswordChanged => ({
  type: 'AccountPasswordChanged',
  data: {
    tenantId: anId(),
    accountId: anId(),
    passwordHash: aPasswordHash(),
    changedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anAccountRoleChanged = (
  overrides: Partial<AccountRoleChanged['data']> = {},
): AccountRoleChanged => ({
  type: 'AccountRoleChanged',
  data: {
    tenantId: anId(),
    accountId: anId(),
    role: 'viewer',
    previousRole: 'marketer',
    changedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anAccountErased = (overrides: Partial<AccountErased['data']> = {}): AccountErased => ({
  type: 'AccountErased',
  data: {
    tenantId: anId(),
    accountId: anId(),
    requestId: anId(),
    basis: 'gdpr_art17',
    requestedBy: 'operator:cli',
    erasedAt: aNow().toISOString(),
    ...overrides,
  },
});
