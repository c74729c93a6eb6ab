import type { Event } from '../core/decider.js';

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type ContactListCreated = Event<
  'ContactListCreated',
  { listId: string; tenantId: string; name: string; createdAt: string }
>;

export type ContactListRenamed = Event<
  'ContactListRenamed',
  { listId: string; tenantId: string; name: string; renamedAt: string }
>;

export type ContactListDeleted = Event<
  'ContactListDeleted',
  { listId: string; tenantId: string; deletedAt: string }
>;

export type ContactListEvent = ContactListCreated | ContactListRenamed | ContactListDeleted;

export type ContactListEventType = ContactListEvent['type'];

const contactListEventTypes = {
  ContactListCreated: true,
  ContactListRenamed: true,
  ContactListDeleted: true,
} satisfies Record<ContactListEventType, true>;

/** Every contact list event type, e.g. for a subscription filter. */
export const CONTACT_LIST_EVENT_TYPES = Object.keys(
  contactListEventTypes,
) as readonly ContactListEventType[];

export const isContactListEventType = (type: string): type is ContactListEventType =>
  Object.hasOwn(contactListEventTypes, type);
