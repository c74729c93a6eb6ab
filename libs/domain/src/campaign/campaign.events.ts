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

/** Why members of the campaign's lists were left out of its audience, counted per reason. */
export type CampaignAudienceExclusions = Readonly<{
  suppressed: number;
  unsubscribed: number;
  restricted: number;
  objected: number;
  erased: number;
  /** A double opt-in not confirmed yet. */
  pending: number;
}>;

/** The audience a launch froze: who was on the lists at `startedAt`, and who was left out. */
export type CampaignAudience = Readonly<{
  listIds: readonly string[];
  recipients: number;
  excluded: CampaignAudienceExclusions;
}>;

/** The launch: the audience is frozen; one message per recipient is queued next. */
export type CampaignStarted = Event<
  'CampaignStarted',
  { campaignId: string; tenantId: string; startedAt: string; audience: CampaignAudience }
>;

/** The launch completed: every message of the frozen audience is queued. */
export type CampaignQueued = Event<
  'CampaignQueued',
  { campaignId: string; tenantId: string; messages: number; queuedAt: string }
>;

export type CampaignPaused = Event<
  'CampaignPaused',
  { campaignId: string; tenantId: string; pausedAt: string }
>;

export type CampaignResumed = Event<
  'CampaignResumed',
  { campaignId: string; tenantId: string; resumedAt: string }
>;

/** Every message reached its outcome (sent, bounced, failed or cancelled): sending is over. */
export type CampaignCompleted = Event<
  'CampaignCompleted',
  { campaignId: string; tenantId: string; completedAt: string }
>;

export type CampaignEvent =
  | CampaignDrafted
  | CampaignRevised
  | CampaignScheduled
  | CampaignCancelled
  | CampaignDeleted
  | CampaignStarted
  | CampaignQueued
  | CampaignPaused
  | CampaignResumed
  | CampaignCompleted;

export type CampaignEventType = CampaignEvent['type'];

const campaignEventTypes = {
  CampaignDrafted: true,
  CampaignRevised: true,
  CampaignScheduled: true,
  CampaignCancelled: true,
  CampaignDeleted: true,
  CampaignStarted: true,
  CampaignQueued: true,
  CampaignPaused: true,
  CampaignResumed: true,
  CampaignCompleted: true,
} satisfies Record<CampaignEventType, true>;

/** Every campaign event type, e.g. for a subscription filter. */
export const CAMPAIGN_EVENT_TYPES = Object.keys(campaignEventTypes) as readonly CampaignEventType[];

export const isCampaignEventType = (type: string): type is CampaignEventType =>
  Object.hasOwn(campaignEventTypes, type);
