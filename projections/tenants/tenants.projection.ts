import { type TenantEvent, TENANT_STREAM_CATEGORY, assertNever } from '#domain';

import { defineRowProjection } from '../core/projection.js';

export interface TenantRow {
  tenant_id: string;
  name: string;
  plan: string;
  owner_account_id: string | null;
  owner_email: unknown;
  owner_name: unknown;
  retention_policies: Record<string, number>;
  owner_erased_at: string | Date | null;
  sending_paused_at: string | Date | null;
  sending_pause: Record<string, unknown> | null;
  created_at: string | Date;
  last_revision: string | number;
}

/**
 * `tenants`: name, plan, owner and retention policies of each tenant. The owner's personal fields
 * are copied as ciphertext, and cleared when the owner account is erased.
 */
export const tenantsProjection = defineRowProjection<TenantRow>({
  name: 'tenants',
  table: 'tenants',
  keyColumn: 'tenant_id',
  filter: {
    categories: [TENANT_STREAM_CATEGORY],
    eventTypes: [
      'TenantCreated',
      'RetentionPolicySet',
      'AccountErased',
      'TenantSendingPaused',
      'TenantSendingResumed',
    ],
  },
  keyOf: (event) => (event.data as { tenantId?: string }).tenantId,
  evolve: (row, recorded) => {
    const event = recorded as unknown as TenantEvent;
    const last_revision = recorded.revision.toString();
    switch (event.type) {
      case 'TenantCreated': {
        const { data } = event;
        return {
          tenant_id: data.tenantId,
          name: data.name,
          plan: data.plan,
          owner_account_id: data.owner?.accountId ?? null,
          owner_email: data.owner?.email ?? null,
          owner_name: data.owner?.name ?? null,
          retention_policies: {},
          owner_erased_at: null,
          sending_paused_at: null,
          sending_pause: null,
          created_at: data.createdAt,
          last_revision,
        };
      }
      case 'RetentionPolicySet': {
        if (!row) return null;
        const { kind, days } = event.data;
        const { [kind]: _previous, ...others } = row.retention_policies;
        return {
          ...row,
          retention_policies: days === null ? others : { ...others, [kind]: days },
          last_revision,
        };
      }
      case 'AccountErased':
        if (!row) return null;
        return {
          ...row,
          owner_email: null,
          owner_name: null,
          owner_erased_at: event.data.erasedAt,
          last_revision,
        };
      case 'TenantSendingPaused': {
        if (!row) return null;
        const { tenantId: _tenant, pausedAt, ...pause } = event.data;
        return { ...row, sending_paused_at: pausedAt, sending_pause: pause, last_revision };
      }
      case 'TenantSendingResumed':
        if (!row) return null;
        // The resume time stays: the automatic pause counts from the hour after it.
        return {
          ...row,
          sending_paused_at: null,
          sending_pause: { resumedAt: event.data.resumedAt },
          last_revision,
        };
      case 'ApiKeyIssued':
      case 'ApiKeyRevoked':
      case 'ApiKeyRoleChanged':
        return row ?? null;
      default:
        return assertNever(event);
    }
  },
});
