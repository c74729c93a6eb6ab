import type { Command } from '../core/decider.js';

import type { MessageCancelReason, MessageTemplateRef } from './message.events.js';

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

export type BounceMessage = Command<
  'BounceMessage',
  Target & { workerId: string; smtpReply: string; status?: string | null }
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
  | FailMessage
  | CancelMessage;
