import { assertNever } from '../core/assert-never.js';
import { hasLineBreak } from '../core/validation.js';

import type {
  ContactListCommand,
  CreateContactList,
  DeleteContactList,
  RenameContactList,
} from './contact-list.commands.js';
import { ContactListError } from './contact-list.errors.js';
import type { ContactListEvent } from './contact-list.events.js';
import type { ContactList } from './contact-list.state.js';

export const CONTACT_LIST_LIMITS = {
  nameMaxLength: 200,
} as const;

export const decideContactList = (
  command: ContactListCommand,
  state: ContactList,
): ContactListEvent[] => {
  switch (command.type) {
    case 'CreateContactList':
      return create(command, state);
    case 'RenameContactList':
      return rename(command, state);
    case 'DeleteContactList':
      return remove(command, state);
    default:
      return assertNever(command, 'Unknown contact list command');
  }
};

const create = (
  { data, metadata: { now } }: CreateContactList,
  state: ContactList,
): ContactListEvent[] => {
  if (state.status !== 'Empty') throw new ContactListError('CONTACT_LIST_ALREADY_EXISTS');
  return [
    {
      type: 'ContactListCreated',
      data: {
        listId: data.listId,
        tenantId: data.tenantId,
        name: validName(data.name),
        createdAt: now.toISOString(),
      },
    },
  ];
};

const rename = (
  { data, metadata: { now } }: RenameContactList,
  state: ContactList,
): ContactListEvent[] => {
  const list = ownedBy(state, data.tenantId);
  if (list.status === 'Deleted') throw new ContactListError('CONTACT_LIST_NOT_FOUND');
  const name = validName(data.name);
  if (name === list.name) return [];
  return [
    {
      type: 'ContactListRenamed',
      data: { listId: list.listId, tenantId: list.tenantId, name, renamedAt: now.toISOString() },
    },
  ];
};

const remove = (
  { data, metadata: { now } }: DeleteContactList,
  state: ContactList,
): ContactListEvent[] => {
  const list = ownedBy(state, data.tenantId);
  if (list.status === 'Deleted') return [];
  return [
    {
      type: 'ContactListDeleted',
      data: { listId: list.listId, tenantId: list.tenantId, deletedAt: now.toISOString() },
    },
  ];
};

/** A list of another tenant does not exist, as far as this tenant can tell. */
const ownedBy = (
  state: ContactList,
  tenantId: string,
): Exclude<ContactList, { status: 'Empty' }> => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new ContactListError('CONTACT_LIST_NOT_FOUND');
  }
  return state;
};

// ── Validation: returns the normalised value or throws a typed error ───────────────────────────

const validName = (name: unknown): string => {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (
    trimmed.length < 1 ||
    trimmed.length > CONTACT_LIST_LIMITS.nameMaxLength ||
    hasLineBreak(trimmed)
  ) {
    throw new ContactListError(
      'INVALID_CONTACT_LIST_NAME',
      `Contact list name must be 1 to ${CONTACT_LIST_LIMITS.nameMaxLength} characters on one line`,
    );
  }
  return trimmed;
};
