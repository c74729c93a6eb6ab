import type { Event } from '../core/decider.js';
import type { AccountErased } from '../tenant/tenant.events.js';
import type { ApiKeyRole } from '../tenant/tenant.plans.js';

/**
 * Dates are ISO-8601 strings. `email`, `name`, `company` and `passwordHash` are personal data,
 * stored encrypted under the account's own key (`PERSONAL_DATA`): erasing the account shreds them.
 */
export type AccountRegistered = Event<
  'AccountRegistered',
  {
    tenantId: string;
    accountId: string;
    email: string;
    /** Keyed HMAC of the normalised email (no plaintext): the read model's login lookup. */
    emailIndex: string;
    name: string;
    company: string;
    passwordHash: string;
    role: ApiKeyRole;
    registeredAt: string;
  }
>;

export type AccountPasswordChanged = Event<
  'AccountPasswordChanged',
  { tenantId: string; accountId: string; passwordHash: string; changedAt: string }
>;

/** A role change is a fact of its own, so the history says who could do what, and when. */
export type AccountRoleChanged = Event<
  'AccountRoleChanged',
  {
    tenantId: string;
    accountId: string;
    role: ApiKeyRole;
    previousRole: ApiKeyRole;
    changedAt: string;
  }
>;

/** `AccountErased` is the tenant's event type: the same fact (no personal data), on this stream. */
export type AccountEvent =
  AccountRegistered | AccountPasswordChanged | AccountRoleChanged | AccountErased;

export type AccountEventType = AccountEvent['type'];

const accountEventTypes = {
  AccountRegistered: true,
  AccountPasswordChanged: true,
  AccountRoleChanged: true,
  AccountErased: true,
} satisfies Record<AccountEventType, true>;

/** Every account event type, e.g. for a subscription filter. */
export const ACCOUNT_EVENT_TYPES = Object.keys(accountEventTypes) as readonly AccountEventType[];

export const isAccountEventType = (type: string): type is AccountEventType =>
  Object.hasOwn(accountEventTypes, type);
