import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { IsNull } from 'typeorm';

import type { MailpackrRuntime } from '#platform';
import { TemplateEntity } from '#projections';

import { newestFirstPage } from '../graphql/keyset-page.js';
import type { PageCursor } from '../graphql/pagination.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

export class GetTemplateQuery extends Query<TemplateEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly templateId: string,
    /** Only for the answer to a delete. */
    readonly includeDeleted = false,
  ) {
    super();
  }
}

/** Newest first; returns up to `first + 1` rows so the caller knows whether another page follows. */
export class ListTemplatesQuery extends Query<TemplateEntity[]> {
  constructor(
    readonly tenantId: string,
    readonly first: number,
    readonly after: PageCursor | undefined,
  ) {
    super();
  }
}

@QueryHandler(GetTemplateQuery)
export class GetTemplateHandler implements IQueryHandler<GetTemplateQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({
    tenantId,
    templateId,
    includeDeleted,
  }: GetTemplateQuery): Promise<TemplateEntity | null> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(TemplateEntity, {
        where: { templateId, ...(includeDeleted ? {} : { deletedAt: IsNull() }) },
      }),
    );
  }
}

/** Keyset pagination, newest first: (created_at, template_id) descending, served by an index. */
@QueryHandler(ListTemplatesQuery)
export class ListTemplatesHandler implements IQueryHandler<ListTemplatesQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({ tenantId, first, after }: ListTemplatesQuery): Promise<TemplateEntity[]> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      newestFirstPage(
        scope.select(TemplateEntity, 't').andWhere('t.deleted_at IS NULL'),
        'template_id',
        first,
        after,
      ),
    );
  }
}
