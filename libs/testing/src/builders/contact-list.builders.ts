import type {
  ContactListCreated,
  ContactListDeleted,
  ContactListRenamed,
  CreateContactList,
  DeleteContactList,
  RenameContactList,
} from '#domain';

import { aNow, anId } from './common.builders.js';

/**
 * The tenant of contact lists built without one. Fresh for each test file (Jest loads modules per
 * file), and shared inside it so that `aContactListCreated({ listId })` and
 * `aRenameContactList({ listId })` belong to the same tenant without saying so.
 */
export const defaultContactListTenantId = anId();

type WithNow = { now?: Date };

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const aCreateContactList = ({
  now = aNow(),
  ...overrides
}: Partial<CreateContactList['data']> & WithNow = {}): CreateContactList => ({
  type: 'CreateContactList',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    name: 'Newsletter subscribers',
    ...overrides,
  },
  metadata: { now },
});

export const aRenameContactList = ({
  now = aNow(),
  ...overrides
}: Partial<RenameContactList['data']> & WithNow = {}): RenameContactList => ({
  type: 'RenameContactList',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    name: 'VIP customers',
    ...overrides,
  },
  metadata: { now },
});

export const aDeleteContactList = ({
  now = aNow(),
  ...overrides
}: Partial<DeleteContactList['data']> & WithNow = {}): DeleteContactList => ({
  type: 'DeleteContactList',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    ...overrides,
  },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const aContactListCreated = (
  overrides: Partial<ContactListCreated['data']> = {},
): ContactListCreated => ({
  type: 'ContactListCreated',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    name: 'Newsletter subscribers',
    createdAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aContactListRenamed = (
  overrides: Partial<ContactListRenamed['data']> = {},
): ContactListRenamed => ({
  type: 'ContactListRenamed',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    name: 'VIP customers',
    renamedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aContactListDeleted = (
  overrides: Partial<ContactListDeleted['data']> = {},
): ContactListDeleted => ({
  type: 'ContactListDeleted',
  data: {
    listId: anId(),
    tenantId: defaultContactListTenantId,
    deletedAt: aNow().toISOString(),
    ...overrides,
  },
});
