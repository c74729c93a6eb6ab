import { assertNever } from '../core/assert-never.js';
import type { ApiKeyRole } from '../tenant/tenant.plans.js';

import type { AccountEvent } from './account.events.js';

export type Account =
  | Readonly<{ status: 'Empty' }>
  | Readonly<{
      status: 'Active';
      tenantId: string;
      accountId: string;
      role: ApiKeyRole;
      /** The argon2id hash (decrypted for the decider; `[erased]` never occurs while Active). */
      passwordHash: string;
      registeredAt: string;
    }>
  | Readonly<{
      status: 'Erased';
      tenantId: string;
      accountId: string;
      erasedAt: string;
    }>;

export type AccountStatus = Account['status'];

export const initialAccountState = (): Account => ({ status: 'Empty' });

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveAccount = (state: Account, event: AccountEvent): Account => {
  switch (event.type) {
    case 'AccountRegistered': {
      if (state.status !== 'Empty') return state;
      const { tenantId, accountId, role, passwordHash, registeredAt } = event.data;
      return { status: 'Active', tenantId, accountId, role, passwordHash, registeredAt };
    }
    case 'AccountPasswordChanged':
      if (state.status !== 'Active') return state;
      return { ...state, passwordHash: event.data.passwordHash };
    case 'AccountRoleChanged':
      if (state.status !== 'Active') return state;
      return { ...state, role: event.data.role };
    case 'AccountErased':
      if (state.status !== 'Active' || state.accountId !== event.data.accountId) return state;
      return {
        status: 'Erased',
        tenantId: state.tenantId,
        accountId: state.accountId,
        erasedAt: event.data.erasedAt,
      };
    default:
      return assertNever(event, 'Unknown account event');
  }
};
