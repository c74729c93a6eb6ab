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

/**
 * The launch: the audience is frozen; one message per recipient is queued next. `sendLimit`
 * (absent: none) is how many of them the month's quota lets the launch send: only the first
 * `sendLimit` members (by recipient id) are queued, the others are held back (`overQuota: pause`).
 */
export type CampaignStarted = Event<
  'CampaignStarted',
  {
    campaignId: string;
    tenantId: string;
    startedAt: string;
    audience: CampaignAudience;
    sendLimit?: number;
  }
>;

/** The launch completed: every message of the frozen audience is queued. */
export type CampaignQueued = Event<
  'CampaignQueued',
  { campaignId: string; tenantId: string; messages: number; queuedAt: string }
>;

/** Why a campaign paused: the tenant asked (`manual`), or its quota ran out (`quota`). */
export const CAMPAIGN_PAUSE_REASONS = ['manual', 'quota'] as const;
export type CampaignPauseReason = (typeof CAMPAIGN_PAUSE_REASONS)[number];

/** `reason` absent (older events): `manual`. */
export type CampaignPaused = Event<
  'CampaignPaused',
  { campaignId: string; tenantId: string; pausedAt: string; reason?: CampaignPauseReason }
>;

/**
 * `released` (only when resuming a campaign paused for its quota): how many held-back members of
 * the audience the month's quota lets it send now; they are queued next.
 */
export type CampaignResumed = Event<
  'CampaignResumed',
  { campaignId: string; tenantId: string; resumedAt: string; released?: number }
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
