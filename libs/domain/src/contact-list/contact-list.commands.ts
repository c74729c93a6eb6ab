import type { Command } from '../core/decider.js';

export type CreateContactList = Command<
  'CreateContactList',
  { listId: string; tenantId: string; name: string }
>;

export type RenameContactList = Command<
  'RenameContactList',
  { listId: string; tenantId: string; name: string }
>;

export type DeleteContactList = Command<'DeleteContactList', { listId: string; tenantId: string }>;

export type ContactListCommand = CreateContactList | RenameContactList | DeleteContactList;
