import { Module } from '@nestjs/common';

import { CampaignsResolver } from './campaigns.resolver.js';
import { ExecuteCampaignCommandHandler } from './commands/execute-campaign-command.handler.js';
import { GetCampaignHandler, ListCampaignsHandler } from './queries/campaign-queries.handler.js';

@Module({
  providers: [
    CampaignsResolver,
    ExecuteCampaignCommandHandler,
    GetCampaignHandler,
    ListCampaignsHandler,
  ],
})
export class CampaignsModule {}
