import { Module } from '@nestjs/common';

import { CampaignLaunchResolver } from './campaign-launch.resolver.js';
import { CampaignsResolver } from './campaigns.resolver.js';
import { RecipientMessagesResolver } from './recipient-messages.resolver.js';
import { SendingResolver } from './sending.resolver.js';
import { GetCampaignHandler, ListCampaignsHandler } from './queries/campaign-queries.handler.js';

@Module({
  providers: [
    CampaignsResolver,
    CampaignLaunchResolver,
    RecipientMessagesResolver,
    SendingResolver,
    GetCampaignHandler,
    ListCampaignsHandler,
  ],
})
export class CampaignsModule {}
