import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';

import type { MailpackrRuntime } from '#platform';
import { IsNull } from 'typeorm';

import { CampaignEntity } from '#projections';

import { newestFirstPage } from '../../graphql/keyset-page.js';
import { RUNTIME } from '../../runtime/runtime.tokens.js';
import { GetCampaignQuery, ListCampaignsQuery } from './campaign-queries.js';

@QueryHandler(GetCampaignQuery)
export class GetCampaignHandler implements IQueryHandler<GetCampaignQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  execute({
    tenantId,
    campaignId,
    includeDeleted,
  }: GetCampaignQuery): Promise<CampaignEntity | null> {
    return this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(CampaignEntity, {
        where: { campaignId, ...(includeDeleted ? {} : { deletedAt: IsNull() }) },
      }),
    );
  }
}

/** Keyset pagination, newest first: (created_at, campaign_id) descending, served by an index. */
@QueryHandler(ListCampaignsQuery)
export class ListCampaignsHandler implements IQueryHandler<ListCampaignsQuery> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async execute({
    tenantId,
    first,
    after,
    status,
    columns,
  }: ListCampaignsQuery): Promise<CampaignEntity[]> {
    return this.runtime.tenantReads.read(tenantId, (scope) => {
      const query = scope.select(CampaignEntity, 'c').andWhere('c.deleted_at IS NULL');
      if (columns) query.select(columns.map((column) => `c.${column}`));
      if (status) query.andWhere('c.status = :status', { status });
      return newestFirstPage(query, 'campaign_id', first, after);
    });
  }
}
