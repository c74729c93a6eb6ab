import { Module } from '@nestjs/common';

import { CampaignLaunchResolver } from './campaign-launch.resolver.js';
import { CampaignsResolver } from './campaigns.resolver.js';
import { GetCampaignHandler, ListCampaignsHandler } from './queries/campaign-queries.handler.js';

@Module({
  providers: [CampaignsResolver, CampaignLaunchResolver, GetCampaignHandler, ListCampaignsHandler],
})
export class CampaignsModule {}
