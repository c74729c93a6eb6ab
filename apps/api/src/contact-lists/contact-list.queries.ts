import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { IsNull } from 'typeorm';

import type { MailpackrRuntime } from '#platform';
import { ContactListEntity } from '#projections';

import type { PageCursor } from '../graphql/pagination.js';
import { newestFirstPage } from '../graphql/keyset-page.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

/** One list of a tenant; `includeDeleted` only for the answer to a delete. */
export class GetContactListQuery extends Query<ContactListEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly listId: string,
    readonly includeDeleted = false,
  ) {
    super();
  }
}

/** Newest first; up to `first + 1` rows so the caller knows whether another page follows. */
export class ListContactListsQuery extends Query<ContactListEntity[]> {
  constructor(
    readonly tenantId: string,
    readonly first: number,
    readonly after: PageCursor | undefined,
  ) {
    super();
  }
}

@QueryHandler(GetContactListQuery)
export class GetContactListHandler implements IQueryHandler<GetContactListQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({
    tenantId,
    listId,
    includeDeleted,
  }: GetContactListQuery): Promise<ContactListEntity | null> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(ContactListEntity, {
        where: { listId, ...(includeDeleted ? {} : { deletedAt: IsNull() }) },
      }),
    );
  }
}

@QueryHandler(ListContactListsQuery)
export class ListContactListsHandler implements IQueryHandler<ListContactListsQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({ tenantId, first, after }: ListContactListsQuery): Promise<ContactListEntity[]> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      newestFirstPage(
        scope.select(ContactListEntity, 'l').andWhere('l.deleted_at IS NULL'),
        'list_id',
        first,
        after,
      ),
    );
  }
}
