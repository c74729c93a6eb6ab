import { Module } from '@nestjs/common';

import {
  GetErasureReceiptHandler,
  GetRecipientHandler,
  ListMembershipsHandler,
  ListRecipientsHandler,
  ListSuppressionsHandler,
} from './recipient.queries.js';
import { RecipientsResolver } from './recipients.resolver.js';

@Module({
  providers: [
    RecipientsResolver,
    GetRecipientHandler,
    ListRecipientsHandler,
    ListMembershipsHandler,
    ListSuppressionsHandler,
    GetErasureReceiptHandler,
  ],
})
export class RecipientsModule {}
