import type {
  CampaignPaused,
  CampaignQueued,
  CampaignStarted,
  MessageBounced,
  MessageClaimed,
  MessageComplained,
  MessageQueued,
  MessageSent,
  RecordBounce,
  RecordComplaint,
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

export const aMessageSent = (overrides: Partial<MessageSent['data']> = {}): MessageSent => ({
  type: 'MessageSent',
  data: {
    messageId: anId(),
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    smtpReply: '250 2.0.0 OK',
    sentAt: aNow().toISOString(),
    ...overrides,
  },
});

/** A bounce learnt at SMTP time by default; `source: 'dsn'` for a later report. */
export const aMessageBounced = (
  overrides: Partial<MessageBounced['data']> = {},
): MessageBounced => ({
  type: 'MessageBounced',
  data: {
    messageId: anId(),
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    smtpReply: '550 5.1.1 No such user',
    status: '5.1.1',
    kind: 'hard',
    source: 'smtp',
    at: aNow().toISOString(),
    ...overrides,
  },
});

export const aMessageComplained = (
  overrides: Partial<MessageComplained['data']> = {},
): MessageComplained => ({
  type: 'MessageComplained',
  data: {
    messageId: anId(),
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    feedbackType: 'abuse',
    source: 'dsn',
    at: aNow().toISOString(),
    ...overrides,
  },
});

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

type WithNow = { now?: Date };

/** A DSN reporting a hard bounce of a sent message. */
export const aRecordBounce = ({
  now = aNow(),
  ...overrides
}: Partial<RecordBounce['data']> & WithNow = {}): RecordBounce => ({
  type: 'RecordBounce',
  data: {
    messageId: anId(),
    tenantId: defaultCampaignTenantId,
    kind: 'hard',
    status: '5.1.1',
    diagnostic: 'smtp; 550 5.1.1 No such user',
    source: 'dsn',
    ...overrides,
  },
  metadata: { now },
});

/** An ARF abuse report about a sent message. */
export const aRecordComplaint = ({
  now = aNow(),
  ...overrides
}: Partial<RecordComplaint['data']> & WithNow = {}): RecordComplaint => ({
  type: 'RecordComplaint',
  data: {
    messageId: anId(),
    tenantId: defaultCampaignTenantId,
    feedbackType: 'abuse',
    source: 'dsn',
    ...overrides,
  },
  metadata: { now },
});
