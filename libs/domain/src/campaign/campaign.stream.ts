export const CAMPAIGN_STREAM_CATEGORY = 'campaign';

export const toCampaignStreamId = (campaignId: string): string =>
  `${CAMPAIGN_STREAM_CATEGORY}-${campaignId}`;
