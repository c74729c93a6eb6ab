import {
  type ApiKeyIssued,
  type ApiKeyRevoked,
  type ApiKeyRoleChanged,
  TENANT_STREAM_CATEGORY,
} from '#domain';

import { defineRowProjection } from '../core/projection.js';

export interface ApiKeyRow {
  key_id: string;
  tenant_id: string;
  key_hash: string;
  role: string;
  label: string;
  issued_at: string | Date;
  revoked_at: string | Date | null;
  /** The account that issued the key from its session; null for operator and API-key issued keys. */
  account_id: string | null;
  last_revision: string | number;
}

/** `api_keys`: the hashed API keys that authenticate requests, per tenant. */
export const apiKeysProjection = defineRowProjection<ApiKeyRow>({
  name: 'api-keys',
  table: 'api_keys',
  keyColumn: 'key_id',
  filter: {
    categories: [TENANT_STREAM_CATEGORY],
    eventTypes: ['ApiKeyIssued', 'ApiKeyRevoked', 'ApiKeyRoleChanged'],
  },
  keyOf: (event) => (event.data as { keyId?: string }).keyId,
  evolve: (row, recorded) => {
    const event = recorded as unknown as ApiKeyIssued | ApiKeyRevoked | ApiKeyRoleChanged;
    const last_revision = recorded.revision.toString();
    if (event.type === 'ApiKeyIssued') {
      const d = event.data;
      return {
        key_id: d.keyId,
        tenant_id: d.tenantId,
        key_hash: d.keyHash,
        role: d.role,
        label: d.label,
        issued_at: d.issuedAt,
        revoked_at: null,
        account_id: d.accountId ?? null,
        last_revision,
      };
    }
    if (!row) return null;
    if (event.type === 'ApiKeyRoleChanged') return { ...row, role: event.data.role, last_revision };
    return { ...row, revoked_at: event.data.revokedAt, last_revision };
  },
});
