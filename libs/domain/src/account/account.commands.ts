import type { Command } from '../core/decider.js';
import type { EraseAccount } from '../tenant/tenant.commands.js';
import type { ApiKeyRole } from '../tenant/tenant.plans.js';

/**
 * A person's login account inside a tenant. The password never reaches the domain: only its
 * argon2id hash (a PHC string). `emailIndex` is the keyed blind index of the normalised email
 * (platform scope), so the read model finds an account by email without plaintext. `byRole` is the
 * role of the caller (absent for the platform operator): only an owner grants the owner role.
 */
export type RegisterAccount = Command<
  'RegisterAccount',
  {
    tenantId: string;
    accountId: string;
    email: string;
    emailIndex: string;
    name: string;
    company: string;
    passwordHash: string;
    role: ApiKeyRole;
    byRole?: ApiKeyRole;
  }
>;

export type ChangeAccountPassword = Command<
  'ChangeAccountPassword',
  { tenantId: string; accountId: string; passwordHash: string }
>;

export type ChangeAccountRole = Command<
  'ChangeAccountRole',
  { tenantId: string; accountId: string; role: ApiKeyRole; byRole?: ApiKeyRole }
>;

/** Erasure uses the tenant's `EraseAccount` command shape: the same fact, on the account's stream. */
export type AccountCommand =
  RegisterAccount | ChangeAccountPassword | ChangeAccountRole | EraseAccount;
