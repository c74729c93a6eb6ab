import { Module } from '@nestjs/common';

import { GetContactListHandler, ListContactListsHandler } from './contact-list.queries.js';
import { ContactListsResolver } from './contact-lists.resolver.js';

@Module({
  providers: [ContactListsResolver, GetContactListHandler, ListContactListsHandler],
})
export class ContactListsModule {}
