import type { Decider } from '../core/decider.js';

import type { CampaignCommand } from './campaign.commands.js';
import { decideCampaign } from './campaign.decide.js';
import type { CampaignEvent } from './campaign.events.js';
import { evolveCampaign, initialCampaignState, type Campaign } from './campaign.state.js';

export const campaignDecider: Decider<Campaign, CampaignCommand, CampaignEvent> = {
  decide: decideCampaign,
  evolve: evolveCampaign,
  initialState: initialCampaignState,
};
