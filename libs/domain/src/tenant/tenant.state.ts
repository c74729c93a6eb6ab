import { assertNever } from '../core/assert-never.js';

import type { SendingPauseReason, TenantEvent } from './tenant.events.js';
import type { ApiKeyRole, RetentionPolicyKind, TenantPlan } from './tenant.plans.js';

export type ApiKey = Readonly<{
  keyId: string;
  keyHash: string;
  role: ApiKeyRole;
  label: string;
  issuedAt: string;
  revokedAt: string | null;
}>;

export type Tenant =
  | Readonly<{ status: 'Empty' }>
  | Readonly<{
      status: 'Active';
      tenantId: string;
      name: string;
      plan: TenantPlan;
      createdAt: string;
      /** By key id. A Map, so ids such as `constructor` or `__proto__` are just ids. */
      apiKeys: ReadonlyMap<string, ApiKey>;
      /** Age limit in days, by policy kind. */
      retention: Readonly<Partial<Record<RetentionPolicyKind, number>>>;
      /** The owner account, if one was given; `erasedAt` once its data was erased. */
      owner: Readonly<{ accountId: string; erasedAt: string | null }> | null;
      /** Set while the tenant's sending is paused. */
      sendingPaused: Readonly<{ reason: SendingPauseReason; pausedAt: string }> | null;
    }>;

export type TenantStatus = Tenant['status'];

export const initialTenantState = (): Tenant => ({ status: 'Empty' });

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveTenant = (state: Tenant, event: TenantEvent): Tenant => {
  switch (event.type) {
    case 'TenantCreated':
      if (state.status !== 'Empty') return state;
      return {
        status: 'Active',
        tenantId: event.data.tenantId,
        name: event.data.name,
        plan: event.data.plan,
        createdAt: event.data.createdAt,
        apiKeys: new Map(),
        retention: {},
        owner: event.data.owner ? { accountId: event.data.owner.accountId, erasedAt: null } : null,
        sendingPaused: null,
      };
    case 'ApiKeyIssued': {
      if (state.status !== 'Active') return state;
      const { keyId, keyHash, role, label, issuedAt } = event.data;
      const apiKeys = new Map(state.apiKeys);
      apiKeys.set(keyId, { keyId, keyHash, role, label, issuedAt, revokedAt: null });
      return { ...state, apiKeys };
    }
    case 'ApiKeyRevoked': {
      if (state.status !== 'Active') return state;
      const key = state.apiKeys.get(event.data.keyId);
      if (!key) return state;
      const apiKeys = new Map(state.apiKeys);
      apiKeys.set(key.keyId, { ...key, revokedAt: event.data.revokedAt });
      return { ...state, apiKeys };
    }
    case 'ApiKeyRoleChanged': {
      if (state.status !== 'Active') return state;
      const key = state.apiKeys.get(event.data.keyId);
      if (!key) return state;
      const apiKeys = new Map(state.apiKeys);
      apiKeys.set(key.keyId, { ...key, role: event.data.role });
      return { ...state, apiKeys };
    }
    case 'RetentionPolicySet': {
      if (state.status !== 'Active') return state;
      const { kind, days } = event.data;
      const retention = { ...state.retention };
      if (days === null) delete retention[kind];
      else retention[kind] = days;
      return { ...state, retention };
    }
    case 'AccountErased': {
      if (state.status !== 'Active' || state.owner?.accountId !== event.data.accountId)
        return state;
      return { ...state, owner: { ...state.owner, erasedAt: event.data.erasedAt } };
    }
    case 'TenantSendingPaused':
      if (state.status !== 'Active' || state.sendingPaused) return state;
      return {
        ...state,
        sendingPaused: { reason: event.data.reason, pausedAt: event.data.pausedAt },
      };
    case 'TenantSendingResumed':
      if (state.status !== 'Active') return state;
      return { ...state, sendingPaused: null };
    default:
      return assertNever(event, 'Unknown tenant event');
  }
};
