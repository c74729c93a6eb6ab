import type { Event } from '../core/decider.js';

/** The template revision a message sends (the campaign's, pinned at launch); null: the campaign's own MJML. */
export type MessageTemplateRef = Readonly<{ templateId: string; revision: number }>;

/** Every message event names its message, campaign and tenant: ids only, never an address. */
type MessageIds = { messageId: string; campaignId: string; tenantId: string };

/** The claim a new claim replaced after its lease expired: its outcome is unknown. */
export type ExpiredClaim = Readonly<{
  workerId: string;
  attempt: number;
  claimedAt: string;
  leaseUntil: string;
}>;

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type MessageQueued = Event<
  'MessageQueued',
  MessageIds & {
    recipientId: string;
    /** The campaign list the recipient was found on (the first, when on several). */
    listId: string;
    template: MessageTemplateRef | null;
    queuedAt: string;
  }
>;

/**
 * A worker takes the message for one SMTP transaction, until `leaseUntil`. `expiredClaim`: an
 * earlier claim lapsed without an outcome (its worker died or hung), so the recipient may get the
 * message twice: the one duplicate window, recorded here so it is never silent.
 */
export type MessageClaimed = Event<
  'MessageClaimed',
  MessageIds & {
    workerId: string;
    attempt: number;
    claimedAt: string;
    leaseUntil: string;
    expiredClaim: ExpiredClaim | null;
  }
>;

export type MessageSent = Event<'MessageSent', MessageIds & { smtpReply: string; sentAt: string }>;

/** A 4xx reply: retried from `nextAttemptAt`. */
export type MessageDeferred = Event<
  'MessageDeferred',
  MessageIds & { smtpReply: string; attempt: number; nextAttemptAt: string; deferredAt: string }
>;

/**
 * How a bounce counts (RFC 3463): `hard` (the address does not exist or is inactive: suppressed at
 * once), `soft` (temporary or unknown: suppressed after repeated ones), `blocked` (a policy block,
 * 5.7.x: the sender's problem, not the recipient's, so never suppresses the recipient).
 */
export const BOUNCE_KINDS = ['hard', 'soft', 'blocked'] as const;
export type BounceKind = (typeof BOUNCE_KINDS)[number];

/**
 * Where a bounce was learnt: the SMTP reply while sending, a delivery status notification
 * (RFC 3464) to the VERP return path, or a provider's webhook.
 */
export const BOUNCE_SOURCES = ['smtp', 'dsn', 'webhook'] as const;
export type BounceSource = (typeof BOUNCE_SOURCES)[number];

/**
 * A 5xx reply at SMTP time (never retried), or a later report that the sent message did not
 * arrive. `status`: the RFC 3463 enhanced code, when given. `smtpReply`: the reply or the
 * diagnostic code, one line, addresses blanked. Events written before bounces were classified
 * have no `kind` and `source`: read them with `bounceKindOf` (they were SMTP-time 5xx replies).
 */
export type MessageBounced = Event<
  'MessageBounced',
  MessageIds & {
    smtpReply: string;
    status: string | null;
    kind?: BounceKind;
    source?: BounceSource;
    at: string;
  }
>;

/** A complaint (an ARF report, RFC 5965, or a provider's webhook) about a sent message. */
export type MessageComplained = Event<
  'MessageComplained',
  MessageIds & {
    /** The report's Feedback-Type (`abuse`, `fraud`, …), lower case. */
    feedbackType: string;
    source: Exclude<BounceSource, 'smtp'>;
    at: string;
  }
>;

/** Given up (the retry window expired, or the message cannot be built). */
export type MessageFailed = Event<'MessageFailed', MessageIds & { reason: string; at: string }>;

export const MESSAGE_CANCEL_REASONS = ['campaign_cancelled', 'recipient_excluded'] as const;
export type MessageCancelReason = (typeof MESSAGE_CANCEL_REASONS)[number];

export type MessageCancelled = Event<
  'MessageCancelled',
  MessageIds & { reason: MessageCancelReason; at: string }
>;

export type MessageEvent =
  | MessageQueued
  | MessageClaimed
  | MessageSent
  | MessageDeferred
  | MessageBounced
  | MessageFailed
  | MessageCancelled
  | MessageComplained;

export type MessageEventType = MessageEvent['type'];

const messageEventTypes = {
  MessageQueued: true,
  MessageClaimed: true,
  MessageSent: true,
  MessageDeferred: true,
  MessageBounced: true,
  MessageFailed: true,
  MessageCancelled: true,
  MessageComplained: true,
} satisfies Record<MessageEventType, true>;

/** Every message event type, e.g. for a subscription filter. */
export const MESSAGE_EVENT_TYPES = Object.keys(messageEventTypes) as readonly MessageEventType[];

export const isMessageEventType = (type: string): type is MessageEventType =>
  Object.hasOwn(messageEventTypes, type);

/**
 * A bounce's kind. Events from before classification (SMTP-time 5xx replies) are read by their
 * code: 5.7.x and 5.1.7 / 5.1.8 (a bad sender address) blocked, the rest of 5.1.x and 5.2.1 hard,
 * anything else soft.
 */
export const bounceKindOf = (data: MessageBounced['data']): BounceKind =>
  data.kind ?? bounceKindOfStatus(data.status);

/** RFC 3463 by the code alone (no diagnostic text): see `bounceKindOf`. */
export const bounceKindOfStatus = (status: string | null): BounceKind => {
  if (status === null) return 'soft';
  if (status.startsWith('5.7.') || status === '5.1.7' || status === '5.1.8') return 'blocked';
  if (status.startsWith('5.1.') || status === '5.2.1') return 'hard';
  return 'soft';
};
