import { Inject } from '@nestjs/common';
import { Args, Parent, ResolveField, Resolver } from '@nestjs/graphql';

import type { MailpackrRuntime } from '#platform';
import { MessageEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import type { CampaignMessageConnection, Recipient } from '../graphql/graphql.generated.js';
import { decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { newestFirstPage } from '../graphql/keyset-page.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';
import { toMessage } from './campaign-launch.resolver.js';

/**
 * A recipient's message timeline: every campaign message to them, newest first, with its status,
 * bounce kind, complaint and unsubscribe (ids and SMTP replies only). Served by the
 * `messages_recipient` index; tenant-scoped like the recipient itself.
 */
@Resolver('Recipient')
export class RecipientMessagesResolver {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @ResolveField('messages')
  async messages(
    @CurrentPrincipal() principal: Principal,
    @Parent() recipient: Pick<Recipient, 'id'>,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
  ): Promise<CampaignMessageConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after);
    const rows = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      newestFirstPage(
        scope
          .select(MessageEntity, 'm')
          .andWhere('m.recipient_id = :recipientId', { recipientId: recipient.id }),
        'message_id',
        size,
        cursor,
        'queued_at',
      ),
    );
    return toConnection(
      rows,
      size,
      (row) => ({ createdAt: new Date(row.queuedAt), id: row.messageId }),
      toMessage,
    );
  }
}
