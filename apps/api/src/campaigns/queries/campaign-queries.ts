import { Query } from '@nestjs/cqrs';

import type { CampaignEntity } from '#projections';

export class GetCampaignQuery extends Query<CampaignEntity | null> {
  constructor(
    readonly tenantId: string,
    readonly campaignId: string,
  ) {
    super();
  }
}

export interface CampaignPage {
  items: CampaignEntity[];
  hasNextPage: boolean;
}

export class ListCampaignsQuery extends Query<CampaignPage> {
  constructor(
    readonly tenantId: string,
    readonly first: number,
    readonly after: { createdAt: Date; campaignId: string } | undefined,
    readonly status: CampaignEntity['status'] | undefined,
  ) {
    super();
  }
}
