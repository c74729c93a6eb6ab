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

/** A 5xx reply at SMTP time: never retried. `status`: the RFC 3463 enhanced code, when given. */
export type MessageBounced = Event<
  'MessageBounced',
  MessageIds & { smtpReply: string; status: string | null; at: string }
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
  | MessageCancelled;

export type MessageEventType = MessageEvent['type'];

const messageEventTypes = {
  MessageQueued: true,
  MessageClaimed: true,
  MessageSent: true,
  MessageDeferred: true,
  MessageBounced: true,
  MessageFailed: true,
  MessageCancelled: true,
} satisfies Record<MessageEventType, true>;

/** Every message event type, e.g. for a subscription filter. */
export const MESSAGE_EVENT_TYPES = Object.keys(messageEventTypes) as readonly MessageEventType[];

export const isMessageEventType = (type: string): type is MessageEventType =>
  Object.hasOwn(messageEventTypes, type);
