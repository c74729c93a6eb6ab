import type { Command } from '../core/decider.js';

import type { CampaignAudienceExclusions, CampaignTemplateRef } from './campaign.events.js';

/** The editable content of a campaign, as a command carries it (before trimming and checks). */
export type CampaignChangesInput = Readonly<{
  name?: string;
  subject?: string;
  fromAddress?: string;
  /** `null` (or a blank string) removes the sender name. */
  fromName?: string | null;
  mjmlBody?: string;
  listIds?: readonly string[];
  /** A template revision to send (checked to exist by the caller); `null` detaches it. */
  template?: CampaignTemplateRef | null;
}>;

export type DraftCampaign = Command<
  'DraftCampaign',
  {
    campaignId: string;
    tenantId: string;
    name: string;
    subject: string;
    fromAddress: string;
    fromName?: string | null;
    /** May be empty when the campaign sends a template. */
    mjmlBody: string;
    listIds: readonly string[];
    template?: CampaignTemplateRef | null;
  }
>;

export type ReviseCampaign = Command<
  'ReviseCampaign',
  { campaignId: string; tenantId: string; changes: CampaignChangesInput }
>;

export type ScheduleCampaign = Command<
  'ScheduleCampaign',
  { campaignId: string; tenantId: string; sendAt: Date }
>;

export type CancelCampaign = Command<
  'CancelCampaign',
  { campaignId: string; tenantId: string; reason?: string | null }
>;

/** The tenant deletes a campaign (policy §7): its content leaves every read model. */
export type DeleteCampaign = Command<'DeleteCampaign', { campaignId: string; tenantId: string }>;

/**
 * Start sending now (a draft, or a scheduled campaign whose time has come): freezes the audience
 * the caller counted on the campaign's lists. Launching a started campaign changes nothing.
 * `sendLimit` (absent: none): only that many of the audience may be sent now (the month's quota,
 * `overQuota: pause`); the others are held back until a resume releases them.
 */
export type LaunchCampaign = Command<
  'LaunchCampaign',
  {
    campaignId: string;
    tenantId: string;
    recipients: number;
    excluded: CampaignAudienceExclusions;
    sendLimit?: number;
  }
>;

/** Every message of the frozen audience it may send now is queued (`messages` of them in all). */
export type CompleteCampaignLaunch = Command<
  'CompleteCampaignLaunch',
  { campaignId: string; tenantId: string; messages: number }
>;

export type PauseCampaign = Command<'PauseCampaign', { campaignId: string; tenantId: string }>;

/**
 * `allowance`: for a campaign paused for its quota, how many messages the month's quota has left
 * now (null: unlimited), read by the caller; ignored otherwise.
 */
export type ResumeCampaign = Command<
  'ResumeCampaign',
  { campaignId: string; tenantId: string; allowance?: number | null }
>;

/**
 * Sending is over: the caller (the delivery worker) found none of the campaign's messages queued,
 * being sent or deferred. Only a launch that queued all its messages can complete.
 */
export type CompleteCampaign = Command<
  'CompleteCampaign',
  { campaignId: string; tenantId: string }
>;

export type CampaignCommand =
  | DraftCampaign
  | ReviseCampaign
  | ScheduleCampaign
  | CancelCampaign
  | DeleteCampaign
  | LaunchCampaign
  | CompleteCampaignLaunch
  | PauseCampaign
  | ResumeCampaign
  | CompleteCampaign;
