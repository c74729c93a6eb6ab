import type {
  CampaignPaused,
  CampaignQueued,
  CampaignStarted,
  MessageClaimed,
  MessageQueued,
} from '#domain';

import { defaultCampaignTenantId } from './campaign.builders.js';
import { aNow, anId } from './common.builders.js';

/** A recorded launch of a campaign, with an audience of `recipients` and nobody left out. */
export const aCampaignStarted = (
  overrides: Partial<CampaignStarted['data']> = {},
): CampaignStarted => ({
  type: 'CampaignStarted',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    startedAt: aNow().toISOString(),
    audience: {
      listIds: [anId()],
      recipients: 3,
      excluded: {
        suppressed: 0,
        unsubscribed: 0,
        restricted: 0,
        objected: 0,
        erased: 0,
        pending: 0,
      },
    },
    ...overrides,
  },
});

export const aCampaignQueued = (
  overrides: Partial<CampaignQueued['data']> = {},
): CampaignQueued => ({
  type: 'CampaignQueued',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    messages: 3,
    queuedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aCampaignPaused = (
  overrides: Partial<CampaignPaused['data']> = {},
): CampaignPaused => ({
  type: 'CampaignPaused',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    pausedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aMessageQueued = (overrides: Partial<MessageQueued['data']> = {}): MessageQueued => ({
  type: 'MessageQueued',
  data: {
    messageId: anId(),
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    recipientId: anId(),
    listId: anId(),
    template: null,
    queuedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aMessageClaimed = (
  overrides: Partial<MessageClaimed['data']> = {},
): MessageClaimed => ({
  type: 'MessageClaimed',
  data: {
    messageId: anId(),
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    workerId: 'worker-1',
    attempt: 1,
    claimedAt: aNow().toISOString(),
    leaseUntil: new Date(aNow().getTime() + 60_000).toISOString(),
    expiredClaim: null,
    ...overrides,
  },
});
