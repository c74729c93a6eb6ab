import { assertNever } from '../core/assert-never.js';

import type { TenantEvent } from './tenant.events.js';
import type { ApiKeyRole, TenantPlan } from './tenant.plans.js';

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
    default:
      return assertNever(event, 'Unknown tenant event');
  }
};
