import { ACCOUNT_STREAM_CATEGORY, type AccountEvent, assertNever } from '#domain';

import { defineRowProjection, seal } from '../core/projection.js';

export interface AccountRow {
  account_id: string;
  tenant_id: string;
  email_index: string | null;
  email: unknown;
  name: unknown;
  company: unknown;
  role: string;
  registered_at: string | Date;
  erased_at: string | Date | null;
  last_revision: string | number;
}

/**
 * `accounts`: the tenant's registered accounts and their current role (sessions take the role
 * from here on every request). Personal fields are copied as ciphertext only (`seal` drops
 * anything else) and the password hash is never copied: login reads it from the account's stream.
 * Erasure clears the fields and the email index, so the address no longer finds the account.
 */
export const accountsProjection = defineRowProjection<AccountRow>({
  name: 'accounts',
  table: 'accounts',
  keyColumn: 'account_id',
  filter: {
    categories: [ACCOUNT_STREAM_CATEGORY],
    eventTypes: [
      'AccountRegistered',
      'AccountPasswordChanged',
      'AccountRoleChanged',
      'AccountErased',
    ],
  },
  keyOf: (event) => (event.data as { accountId?: string }).accountId,
  evolve: (row, recorded) => {
    const event = recorded as unknown as AccountEvent;
    const last_revision = recorded.revision.toString();
    switch (event.type) {
      case 'AccountRegistered': {
        const { data } = event;
        return {
          account_id: data.accountId,
          tenant_id: data.tenantId,
          email_index: data.emailIndex,
          email: seal('AccountRegistered.email', data.email),
          name: seal('AccountRegistered.name', data.name),
          company: seal('AccountRegistered.company', data.company),
          role: data.role,
          registered_at: data.registeredAt,
          erased_at: null,
          last_revision,
        };
      }
      case 'AccountPasswordChanged':
        return row ? { ...row, last_revision } : null;
      case 'AccountRoleChanged':
        return row ? { ...row, role: event.data.role, last_revision } : null;
      case 'AccountErased':
        if (!row) return null;
        return {
          ...row,
          email_index: null,
          email: null,
          name: null,
          company: null,
          erased_at: event.data.erasedAt,
          last_revision,
        };
      default:
        return assertNever(event, 'Unknown account event');
    }
  },
});
