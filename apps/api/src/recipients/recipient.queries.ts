import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';

import type { MailpackrRuntime } from '#platform';
import type { SelectQueryBuilder } from 'typeorm';
import {
  ContactListEntity,
  ErasureReceiptEntity,
  RecipientEntity,
  RecipientMembershipEntity,
  SuppressionEntity,
  type SuppressionReason,
  type TenantScope,
} from '#projections';

import type { PageCursor } from '../graphql/pagination.js';
import { newestFirstPage } from '../graphql/keyset-page.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

/** A recipient row and the key its page is ordered by (list join time, or creation time). */
export interface RecipientPageRow {
  row: RecipientEntity;
  cursor: PageCursor;
}

export class GetRecipientQuery extends Query<RecipientEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly recipientId: string,
  ) {
    super();
  }
}

export class ListRecipientsQuery extends Query<RecipientPageRow[]> {
  constructor(
    readonly tenantId: string,
    readonly filter: {
      listId?: string;
      status?: 'pending' | 'subscribed' | 'unsubscribed';
      emailIndex?: string;
    },
    readonly first: number,
    readonly after: PageCursor | undefined,
    /** The columns to load (the rest stay undefined); all of them when undefined. */
    readonly columns?: ReadonlyArray<keyof RecipientEntity>,
  ) {
    super();
  }
}

export class ListMembershipsQuery extends Query<
  Array<{ membership: RecipientMembershipEntity; list: ContactListEntity }>
> {
  constructor(
    readonly tenantId: string,
    readonly recipientId: string,
  ) {
    super();
  }
}

export class ListSuppressionsQuery extends Query<SuppressionEntity[]> {
  constructor(
    readonly tenantId: string,
    readonly first: number,
    readonly after: PageCursor | undefined,
    readonly reason: SuppressionReason | undefined,
  ) {
    super();
  }
}

export class GetErasureReceiptQuery extends Query<ErasureReceiptEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly recipientId: string,
  ) {
    super();
  }
}

@QueryHandler(GetRecipientQuery)
export class GetRecipientHandler implements IQueryHandler<GetRecipientQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({ tenantId, recipientId }: GetRecipientQuery): Promise<RecipientEntity | null> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(RecipientEntity, { where: { recipientId } }),
    );
  }
}

@QueryHandler(ListRecipientsQuery)
export class ListRecipientsHandler implements IQueryHandler<ListRecipientsQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({
    tenantId,
    filter,
    first,
    after,
    columns,
  }: ListRecipientsQuery): Promise<RecipientPageRow[]> {
    return this.runtime.tenantReads.read(tenantId, (scope) => {
      const recipients = scope.select(RecipientEntity, 'r');
      if (columns) recipients.select(columns.map((column) => `r.${column}`));
      return filter.listId
        ? this.members(recipients, scope, filter.listId, filter, first, after)
        : this.all(recipients, filter, first, after);
    });
  }

  private async all(
    recipients: SelectQueryBuilder<RecipientEntity>,
    filter: ListRecipientsQuery['filter'],
    first: number,
    after: PageCursor | undefined,
  ): Promise<RecipientPageRow[]> {
    const query = recipients.andWhere(`r.status = 'active'`);
    if (filter.emailIndex) query.andWhere('r.email_index = :index', { index: filter.emailIndex });
    const rows = await newestFirstPage(query, 'recipient_id', first, after);
    return rows.map((row) => ({
      row,
      cursor: { createdAt: row.createdAt, id: row.recipientId },
    }));
  }

  /** A list's members, newest member first: the membership table drives the page. */
  private async members(
    recipients: SelectQueryBuilder<RecipientEntity>,
    scope: TenantScope,
    listId: string,
    filter: ListRecipientsQuery['filter'],
    first: number,
    after: PageCursor | undefined,
  ): Promise<RecipientPageRow[]> {
    const query = recipients
      .innerJoin(RecipientMembershipEntity, 'm', scope.on('m', 'm.recipient_id = r.recipient_id'))
      .addSelect('m.joined_at', 'joined_at')
      .andWhere(`r.status = 'active' AND m.list_id = :listId`, { listId });
    if (filter.status) query.andWhere('m.status = :status', { status: filter.status });
    if (filter.emailIndex) query.andWhere('r.email_index = :index', { index: filter.emailIndex });
    if (after) {
      query.andWhere('(m.joined_at, m.recipient_id) < (:afterAt, :afterId)', {
        afterAt: after.createdAt,
        afterId: after.id,
      });
    }
    const { entities, raw } = await query
      .orderBy('m.joined_at', 'DESC')
      .addOrderBy('m.recipient_id', 'DESC')
      .limit(first + 1)
      .getRawAndEntities<{ joined_at: Date }>();
    return entities.map((row, i) => ({
      row,
      cursor: { createdAt: new Date(raw[i]!.joined_at), id: row.recipientId },
    }));
  }
}

@QueryHandler(ListMembershipsQuery)
export class ListMembershipsHandler implements IQueryHandler<ListMembershipsQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async execute({ tenantId, recipientId }: ListMembershipsQuery) {
    const { memberships, lists } = await this.runtime.tenantReads.read(tenantId, async (scope) => {
      const memberships = await scope.find(RecipientMembershipEntity, {
        where: { recipientId },
        order: { joinedAt: 'ASC' },
      });
      if (memberships.length === 0) return { memberships, lists: [] };
      const lists = await scope
        .select(ContactListEntity, 'l')
        .andWhere('l.deleted_at IS NULL AND l.list_id = ANY(:ids)', {
          ids: memberships.map((m) => m.listId),
        })
        .getMany();
      return { memberships, lists };
    });
    const byId = new Map(lists.map((l) => [l.listId, l]));
    return memberships.flatMap((membership) => {
      const list = byId.get(membership.listId);
      return list ? [{ membership, list }] : [];
    });
  }
}

@QueryHandler(ListSuppressionsQuery)
export class ListSuppressionsHandler implements IQueryHandler<ListSuppressionsQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({ tenantId, first, after, reason }: ListSuppressionsQuery): Promise<SuppressionEntity[]> {
    return this.runtime.tenantReads.read(tenantId, (scope) => {
      const query = scope.select(SuppressionEntity, 's');
      if (reason) query.andWhere('s.reason = :reason', { reason });
      return newestFirstPage(query, 'email_index', first, after, 'suppressed_at');
    });
  }
}

@QueryHandler(GetErasureReceiptQuery)
export class GetErasureReceiptHandler implements IQueryHandler<GetErasureReceiptQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({ tenantId, recipientId }: GetErasureReceiptQuery): Promise<ErasureReceiptEntity | null> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(ErasureReceiptEntity, { where: { recipientId } }),
    );
  }
}
