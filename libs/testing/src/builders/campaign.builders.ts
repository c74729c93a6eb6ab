import type {
  CampaignCancelled,
  CampaignChangesInput,
  CampaignDrafted,
  CampaignRevised,
  CampaignScheduled,
  CancelCampaign,
  DraftCampaign,
  ReviseCampaign,
  ScheduleCampaign,
} from '#domain';

import { aNow, anId, daysAfter } from './common.builders.js';

/**
 * The tenant of campaigns built without one. Fresh for each test file (Jest loads modules per
 * file), and shared inside it so that `aCampaignDrafted({ campaignId })` and
 * `aScheduleCampaign({ campaignId })` belong to the same tenant without saying so.
 */
export const defaultCampaignTenantId = anId();

export const aValidMjmlBody = (text = 'Hello from MailPackr'): string =>
  `<mjml><mj-body><mj-section><mj-column><mj-text>${text}</mj-text></mj-column></mj-section></mj-body></mjml>`;

type WithNow = { now?: Date };

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const aDraftCampaign = ({
  now = aNow(),
  ...overrides
}: Partial<DraftCampaign['data']> & WithNow = {}): DraftCampaign => ({
  type: 'DraftCampaign',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    name: 'Spring sale',
    subject: 'Everything is 20% off this week',
    fromAddress: 'news@example.com',
    fromName: 'MailPackr News',
    mjmlBody: aValidMjmlBody(),
    listIds: [anId()],
    ...overrides,
  },
  metadata: { now },
});

export const aReviseCampaign = ({
  now = aNow(),
  ...overrides
}: Partial<ReviseCampaign['data']> & WithNow = {}): ReviseCampaign => ({
  type: 'ReviseCampaign',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    changes: { subject: 'Last days: everything is 20% off' } satisfies CampaignChangesInput,
    ...overrides,
  },
  metadata: { now },
});

export const aScheduleCampaign = ({
  now = aNow(),
  ...overrides
}: Partial<ScheduleCampaign['data']> & WithNow = {}): ScheduleCampaign => ({
  type: 'ScheduleCampaign',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    sendAt: daysAfter(now, 1),
    ...overrides,
  },
  metadata: { now },
});

export const aCancelCampaign = ({
  now = aNow(),
  ...overrides
}: Partial<CancelCampaign['data']> & WithNow = {}): CancelCampaign => ({
  type: 'CancelCampaign',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    reason: 'Plans changed',
    ...overrides,
  },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const aCampaignDrafted = (
  overrides: Partial<CampaignDrafted['data']> = {},
): CampaignDrafted => ({
  type: 'CampaignDrafted',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    name: 'Spring sale',
    subject: 'Everything is 20% off this week',
    fromAddress: 'news@example.com',
    fromName: 'MailPackr News',
    mjmlBody: aValidMjmlBody(),
    listIds: [anId()],
    draftedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aCampaignRevised = (
  overrides: Partial<CampaignRevised['data']> = {},
): CampaignRevised => ({
  type: 'CampaignRevised',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    changes: { subject: 'Last days: everything is 20% off' },
    revisedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aCampaignScheduled = (
  overrides: Partial<CampaignScheduled['data']> = {},
): CampaignScheduled => ({
  type: 'CampaignScheduled',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    sendAt: daysAfter(aNow(), 1).toISOString(),
    scheduledAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aCampaignCancelled = (
  overrides: Partial<CampaignCancelled['data']> = {},
): CampaignCancelled => ({
  type: 'CampaignCancelled',
  data: {
    campaignId: anId(),
    tenantId: defaultCampaignTenantId,
    reason: 'Plans changed',
    cancelledAt: aNow().toISOString(),
    ...overrides,
  },
});
