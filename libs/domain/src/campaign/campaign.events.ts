import type { Event } from '../core/decider.js';

/**
 * The template revision a campaign sends: pinned, so revising the template later does not change
 * a campaign already drafted with it (revise the campaign to move it to a newer revision).
 */
export type CampaignTemplateRef = Readonly<{ templateId: string; revision: number }>;

/** Campaign content as stored in events and state: trimmed, validated, JSON-safe. */
export type CampaignContent = Readonly<{
  name: string;
  subject: string;
  fromAddress: string;
  fromName: string | null;
  /** The campaign's own MJML; empty when it sends a template instead. */
  mjmlBody: string;
  listIds: readonly string[];
  /** Absent (older events) or null: no template. */
  template?: CampaignTemplateRef | null;
}>;

/** Only the fields that actually changed. */
export type CampaignChanges = Partial<CampaignContent>;

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type CampaignDrafted = Event<
  'CampaignDrafted',
  CampaignContent & { campaignId: string; tenantId: string; draftedAt: string }
>;

export type CampaignRevised = Event<
  'CampaignRevised',
  { campaignId: string; tenantId: string; changes: CampaignChanges; revisedAt: string }
>;

export type CampaignScheduled = Event<
  'CampaignScheduled',
  { campaignId: string; tenantId: string; sendAt: string; scheduledAt: string }
>;

export type CampaignCancelled = Event<
  'CampaignCancelled',
  { campaignId: string; tenantId: string; reason: string | null; cancelledAt: string }
>;

export type CampaignDeleted = Event<
  'CampaignDeleted',
  { campaignId: string; tenantId: string; deletedAt: string }
>;

export type CampaignEvent =
  CampaignDrafted | CampaignRevised | CampaignScheduled | CampaignCancelled | CampaignDeleted;

export type CampaignEventType = CampaignEvent['type'];

const campaignEventTypes = {
  CampaignDrafted: true,
  CampaignRevised: true,
  CampaignScheduled: true,
  CampaignCancelled: true,
  CampaignDeleted: true,
} satisfies Record<CampaignEventType, true>;

/** Every campaign event type, e.g. for a subscription filter. */
export const CAMPAIGN_EVENT_TYPES = Object.keys(campaignEventTypes) as readonly CampaignEventType[];

export const isCampaignEventType = (type: string): type is CampaignEventType =>
  Object.hasOwn(campaignEventTypes, type);
