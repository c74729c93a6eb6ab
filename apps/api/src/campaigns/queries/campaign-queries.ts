import { Query } from '@nestjs/cqrs';

import type { CampaignEntity } from '#projections';

import type { PageCursor } from '../../graphql/pagination.js';

export class GetCampaignQuery extends Query<CampaignEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly campaignId: string,
    /** Only for the answer to a delete. */
    readonly includeDeleted = false,
  ) {
    super();
  }
}

/** Newest first; returns up to `first + 1` rows so the caller knows whether another page follows. */
export class ListCampaignsQuery extends Query<CampaignEntity[]> {
  constructor(
    readonly tenantId: string,
    readonly first: number,
    readonly after: PageCursor | undefined,
    readonly status: CampaignEntity['status'] | undefined,
    /** The columns to load (the rest stay undefined); all of them when undefined. */
    readonly columns?: ReadonlyArray<keyof CampaignEntity>,
  ) {
    super();
  }
}
