import type { Command } from '../core/decider.js';

import type {
  BounceKind,
  BounceSource,
  MessageCancelReason,
  MessageTemplateRef,
} from './message.events.js';

type Target = { messageId: string; tenantId: string };

/** `messageId` is derived by the caller (`message:<campaignId>:<recipientId>`), never here. */
export type QueueMessage = Command<
  'QueueMessage',
  Target & {
    campaignId: string;
    recipientId: string;
    listId: string;
    template: MessageTemplateRef | null;
  }
>;

/** Take the message for one SMTP transaction, for `leaseMs`. */
export type ClaimMessage = Command<'ClaimMessage', Target & { workerId: string; leaseMs: number }>;

/** Outcomes come from the worker that holds the claim. */
export type RecordMessageSent = Command<
  'RecordMessageSent',
  Target & { workerId: string; smtpReply: string }
>;

export type DeferMessage = Command<
  'DeferMessage',
  Target & { workerId: string; smtpReply: string; nextAttemptAt: Date }
>;

/** A 5xx reply at SMTP time, from the claim holder. `kind`: default from `status` (RFC 3463). */
export type BounceMessage = Command<
  'BounceMessage',
  Target & { workerId: string; smtpReply: string; status?: string | null; kind?: BounceKind }
>;

/**
 * A report, after the message was sent, that it did not arrive: a DSN to the VERP return path or
 * a provider's webhook. `diagnostic`: the report's diagnostic code or text (addresses are blanked).
 */
export type RecordBounce = Command<
  'RecordBounce',
  Target & {
    kind: BounceKind;
    status: string | null;
    diagnostic: string | null;
    source: Exclude<BounceSource, 'smtp'>;
  }
>;

/** A complaint about a sent message (ARF report or webhook). */
export type RecordComplaint = Command<
  'RecordComplaint',
  Target & { feedbackType: string; source: Exclude<BounceSource, 'smtp'> }
>;

/** Give up: by the claim holder, or by anyone once a deferred message's retry window is over. */
export type FailMessage = Command<
  'FailMessage',
  Target & { reason: string; workerId?: string | null }
>;

export type CancelMessage = Command<'CancelMessage', Target & { reason: MessageCancelReason }>;

export type MessageCommand =
  | QueueMessage
  | ClaimMessage
  | RecordMessageSent
  | DeferMessage
  | BounceMessage
  | RecordBounce
  | RecordComplaint
  | FailMessage
  | CancelMessage;
