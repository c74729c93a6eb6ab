import {
  CONTACT_LIST_EVENT_TYPES,
  CONTACT_LIST_STREAM_CATEGORY,
  type ContactListEvent,
  assertNever,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { defineRowProjection } from '../core/projection.js';

export interface ContactListRow {
  list_id: string;
  tenant_id: string;
  name: string;
  created_at: string | Date;
  updated_at: string | Date;
  deleted_at: string | Date | null;
  last_revision: string | number;
}

const evolve = (
  row: ContactListRow | undefined,
  recorded: RecordedEvent,
): ContactListRow | null => {
  const event = recorded as unknown as ContactListEvent;
  const last_revision = recorded.revision.toString();
  switch (event.type) {
    case 'ContactListCreated':
      return {
        list_id: event.data.listId,
        tenant_id: event.data.tenantId,
        name: event.data.name,
        created_at: event.data.createdAt,
        updated_at: event.data.createdAt,
        deleted_at: null,
        last_revision,
      };
    case 'ContactListRenamed':
      return row
        ? { ...row, name: event.data.name, updated_at: event.data.renamedAt, last_revision }
        : null;
    case 'ContactListDeleted':
      // A tombstone, not a DELETE: a redelivered ContactListCreated must not bring the list back.
      return row
        ? {
            ...row,
            deleted_at: event.data.deletedAt,
            updated_at: event.data.deletedAt,
            last_revision,
          }
        : null;
    default:
      return assertNever(event);
  }
};

/** `contact_lists`: each tenant's lists, their names and whether they were deleted. */
export const contactListsProjection = defineRowProjection<ContactListRow>({
  name: 'contact-lists',
  table: 'contact_lists',
  keyColumn: 'list_id',
  filter: { categories: [CONTACT_LIST_STREAM_CATEGORY], eventTypes: [...CONTACT_LIST_EVENT_TYPES] },
  keyOf: (event) => (event.data as { listId?: string }).listId,
  evolve,
});
