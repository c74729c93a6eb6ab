import type { Decider } from '../core/decider.js';

import type { ContactListCommand } from './contact-list.commands.js';
import { decideContactList } from './contact-list.decide.js';
import type { ContactListEvent } from './contact-list.events.js';
import {
  evolveContactList,
  initialContactListState,
  type ContactList,
} from './contact-list.state.js';

export const contactListDecider: Decider<ContactList, ContactListCommand, ContactListEvent> = {
  decide: decideContactList,
  evolve: evolveContactList,
  initialState: initialContactListState,
};
