import { Module } from '@nestjs/common';

import { CampaignsResolver } from './campaigns.resolver.js';
import { GetCampaignHandler, ListCampaignsHandler } from './queries/campaign-queries.handler.js';

@Module({
  providers: [CampaignsResolver, GetCampaignHandler, ListCampaignsHandler],
})
export class CampaignsModule {}
