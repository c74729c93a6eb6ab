import { type TenantCreated, TENANT_STREAM_CATEGORY } from '#domain';

import { defineRowProjection } from '../core/projection.js';

export interface TenantRow {
  tenant_id: string;
  name: string;
  plan: string;
  owner_account_id: string | null;
  owner_email: unknown;
  owner_name: unknown;
  created_at: string | Date;
  last_revision: string | number;
}

/** `tenants`: name, plan and owner of each tenant. Personal fields are copied as ciphertext. */
export const tenantsProjection = defineRowProjection<TenantRow>({
  name: 'tenants',
  table: 'tenants',
  keyColumn: 'tenant_id',
  filter: { categories: [TENANT_STREAM_CATEGORY], eventTypes: ['TenantCreated'] },
  keyOf: (event) => (event.data as { tenantId?: string }).tenantId,
  evolve: (_row, recorded) => {
    const { data } = recorded as unknown as TenantCreated;
    return {
      tenant_id: data.tenantId,
      name: data.name,
      plan: data.plan,
      owner_account_id: data.owner?.accountId ?? null,
      owner_email: data.owner?.email ?? null,
      owner_name: data.owner?.name ?? null,
      created_at: data.createdAt,
      last_revision: recorded.revision.toString(),
    };
  },
});
