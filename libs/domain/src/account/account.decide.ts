import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid } from '../core/validation.js';
import { checkEmail } from '../recipient/email-address.js';
import type { EraseAccount } from '../tenant/tenant.commands.js';
import { type ApiKeyRole, isApiKeyRole } from '../tenant/tenant.plans.js';

import type {
  AccountCommand,
  ChangeAccountPassword,
  ChangeAccountRole,
  RegisterAccount,
} from './account.commands.js';
import { AccountError } from './account.errors.js';
import type { AccountEvent } from './account.events.js';
import type { Account } from './account.state.js';

export const ACCOUNT_LIMITS = {
  nameMaxLength: 200,
  companyMaxLength: 200,
} as const;

const ERASURE_BASES: ReadonlyArray<EraseAccount['data']['basis']> = [
  'gdpr_art17',
  'ccpa_delete',
  'child_under_13',
];

/** An argon2id hash in PHC form: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`. */
const ARGON2ID_PHC =
  /^\$argon2id\$v=19\$m=\d{1,7},t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{16,}$/;
const HEX_INDEX = /^[0-9a-f]{64}$/;

export const decideAccount = (command: AccountCommand, state: Account): AccountEvent[] => {
  switch (command.type) {
    case 'RegisterAccount':
      return register(command, state);
    case 'ChangeAccountPassword':
      return changePassword(command, state);
    case 'ChangeAccountRole':
      return changeRole(command, state);
    case 'EraseAccount':
      return erase(command, state);
    default:
      return assertNever(command, 'Unknown account command');
  }
};

const register = ({ data, metadata: { now } }: RegisterAccount, state: Account): AccountEvent[] => {
  // An erased account keeps its stream and its id: registering the address again takes a new
  // stream (the service moves on to the address's next account id on ACCOUNT_ERASED).
  if (state.status === 'Erased')
    throw new AccountError('ACCOUNT_ERASED', 'The account with this id was erased');
  if (state.status !== 'Empty') throw new AccountError('ACCOUNT_ALREADY_EXISTS');
  if (!isUuid(data.tenantId) || !isUuid(data.accountId)) throw new AccountError('INVALID_ACCOUNT');
  if (typeof data.emailIndex !== 'string' || !HEX_INDEX.test(data.emailIndex))
    throw new AccountError('INVALID_ACCOUNT', 'emailIndex must be a hex HMAC-SHA256');
  const role = validRole(data.role);
  if (role === 'owner') onlyAnOwner(data.byRole);
  return [
    {
      type: 'AccountRegistered',
      data: {
        tenantId: data.tenantId,
        accountId: data.accountId,
        email: validEmail(data.email),
        emailIndex: data.emailIndex,
        name: validText(data.name, ACCOUNT_LIMITS.nameMaxLength, 'INVALID_ACCOUNT_NAME', 'name'),
        company: validText(
          data.company,
          ACCOUNT_LIMITS.companyMaxLength,
          'INVALID_ACCOUNT_COMPANY',
          'company',
        ),
        passwordHash: validPasswordHash(data.passwordHash),
        role,
        registeredAt: now.toISOString(),
      },
    },
  ];
};

const changePassword = (
  { data, metadata: { now } }: ChangeAccountPassword,
  state: Account,
): AccountEvent[] => {
  const account = active(state, data.tenantId, data.accountId);
  return [
    {
      type: 'AccountPasswordChanged',
      data: {
        tenantId: account.tenantId,
        accountId: account.accountId,
        passwordHash: validPasswordHash(data.passwordHash),
        changedAt: now.toISOString(),
      },
    },
  ];
};

const changeRole = (
  { data, metadata: { now } }: ChangeAccountRole,
  state: Account,
): AccountEvent[] => {
  const account = active(state, data.tenantId, data.accountId);
  const role = validRole(data.role);
  if (role === account.role) return [];
  if (role === 'owner' || account.role === 'owner') onlyAnOwner(data.byRole);
  return [
    {
      type: 'AccountRoleChanged',
      data: {
        tenantId: account.tenantId,
        accountId: account.accountId,
        role,
        previousRole: account.role,
        changedAt: now.toISOString(),
      },
    },
  ];
};

/** Idempotent: erasing an erased account records nothing. */
const erase = ({ data, metadata: { now } }: EraseAccount, state: Account): AccountEvent[] => {
  if (
    state.status === 'Empty' ||
    state.tenantId !== data.tenantId ||
    state.accountId !== data.accountId
  )
    throw new AccountError('ACCOUNT_NOT_FOUND');
  if (state.status === 'Erased') return [];
  if (!ERASURE_BASES.includes(data.basis))
    throw new AccountError(
      'INVALID_LEGAL_BASIS',
      `basis must be one of ${ERASURE_BASES.join(', ')}`,
    );
  return [
    {
      type: 'AccountErased',
      data: {
        tenantId: state.tenantId,
        accountId: state.accountId,
        requestId: data.requestId,
        basis: data.basis,
        requestedBy: data.requestedBy,
        erasedAt: now.toISOString(),
      },
    },
  ];
};

/** The owner role is granted, changed and taken away by owners (or the platform operator) only. */
const onlyAnOwner = (byRole: ApiKeyRole | undefined): void => {
  if (byRole !== undefined && byRole !== 'owner')
    throw new AccountError(
      'OWNER_ROLE_PROTECTED',
      'Only an owner can grant the owner role or change an owner',
    );
};

const active = (
  state: Account,
  tenantId: string,
  accountId: string,
): Extract<Account, { status: 'Active' }> => {
  if (state.status !== 'Active' || state.tenantId !== tenantId || state.accountId !== accountId)
    throw new AccountError('ACCOUNT_NOT_FOUND');
  return state;
};

// ── Validation: each returns the normalised value or throws a typed error ──────────────────────

/** Stored as the recipient rules keep an address: trimmed, unwrapped, domain lower-cased. */
const validEmail = (email: unknown): string => {
  const checked = checkEmail(email);
  if (!checked.ok)
    throw new AccountError('INVALID_ACCOUNT_EMAIL', `Invalid email address: ${checked.problem}`);
  return checked.email.address;
};

const validText = (
  value: unknown,
  max: number,
  code: 'INVALID_ACCOUNT_NAME' | 'INVALID_ACCOUNT_COMPANY',
  what: string,
): string => {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed.length < 1 || trimmed.length > max || hasLineBreak(trimmed))
    throw new AccountError(code, `${what} must be 1 to ${max} characters on one line`);
  return trimmed;
};

const validRole = (role: unknown): ApiKeyRole => {
  if (!isApiKeyRole(role)) throw new AccountError('INVALID_ACCOUNT_ROLE', 'Unknown role');
  return role;
};

const validPasswordHash = (hash: unknown): string => {
  if (typeof hash !== 'string' || !ARGON2ID_PHC.test(hash))
    throw new AccountError('INVALID_PASSWORD_HASH', 'passwordHash must be an argon2id PHC string');
  return hash;
};
