import { assertNever } from '../core/assert-never.js';

import type { ContactListEvent } from './contact-list.events.js';

type Identity = Readonly<{ listId: string; tenantId: string }>;

export type ContactList =
  | Readonly<{ status: 'Empty' }>
  | (Identity & Readonly<{ status: 'Active'; name: string }>)
  | (Identity & Readonly<{ status: 'Deleted' }>);

export type ContactListStatus = ContactList['status'];

export const initialContactListState = (): ContactList => ({ status: 'Empty' });

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveContactList = (state: ContactList, event: ContactListEvent): ContactList => {
  switch (event.type) {
    case 'ContactListCreated': {
      if (state.status !== 'Empty') return state;
      const { data } = event;
      return { status: 'Active', listId: data.listId, tenantId: data.tenantId, name: data.name };
    }
    case 'ContactListRenamed':
      return state.status === 'Active' ? { ...state, name: event.data.name } : state;
    case 'ContactListDeleted':
      return state.status === 'Active'
        ? { status: 'Deleted', listId: state.listId, tenantId: state.tenantId }
        : state;
    default:
      return assertNever(event, 'Unknown contact list event');
  }
};
