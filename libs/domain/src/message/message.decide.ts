import { assertNever } from '../core/assert-never.js';
import { isUuid, isValidDate } from '../core/validation.js';

import type {
  BounceMessage,
  CancelMessage,
  ClaimMessage,
  DeferMessage,
  FailMessage,
  MessageCommand,
  QueueMessage,
  RecordBounce,
  RecordComplaint,
  RecordMessageSent,
} from './message.commands.js';
import { MessageError } from './message.errors.js';
import {
  BOUNCE_KINDS,
  type BounceKind,
  type ExpiredClaim,
  MESSAGE_CANCEL_REASONS,
  type MessageEvent,
  type MessageTemplateRef,
  bounceKindOfStatus,
} from './message.events.js';
import { FINAL_MESSAGE_STATUSES, type Message } from './message.state.js';

export const MESSAGE_LIMITS = {
  workerIdMaxLength: 200,
  /** Longest claim: an SMTP transaction that takes longer than this is presumed dead. */
  leaseMaxMs: 60 * 60 * 1000,
  smtpReplyMaxLength: 1000,
  failureReasonMaxLength: 1000,
  feedbackTypeMaxLength: 40,
} as const;

const FEEDBACK_TYPE = /^[a-z0-9][a-z0-9._-]*$/;

/** SMTP replies often quote the recipient's address: it never reaches an event. */
const ADDRESS_IN_REPLY = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;
const ENHANCED_STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

type Started = Exclude<Message, { status: 'Empty' }>;

export const decideMessage = (command: MessageCommand, state: Message): MessageEvent[] => {
  switch (command.type) {
    case 'QueueMessage':
      return queue(command, state);
    case 'ClaimMessage':
      return claim(command, state);
    case 'RecordMessageSent':
      return sent(command, state);
    case 'DeferMessage':
      return defer(command, state);
    case 'BounceMessage':
      return bounce(command, state);
    case 'RecordBounce':
      return recordBounce(command, state);
    case 'RecordComplaint':
      return recordComplaint(command, state);
    case 'FailMessage':
      return fail(command, state);
    case 'CancelMessage':
      return cancel(command, state);
    default:
      return assertNever(command, 'Unknown message command');
  }
};

const queue = ({ data, metadata: { now } }: QueueMessage, state: Message): MessageEvent[] => {
  if (
    !isUuid(data.messageId) ||
    !isUuid(data.campaignId) ||
    !isUuid(data.tenantId) ||
    !isUuid(data.recipientId) ||
    !isUuid(data.listId)
  ) {
    throw new MessageError('INVALID_MESSAGE', 'A message is named by UUIDs');
  }
  const template = validTemplate(data.template);
  if (state.status !== 'Empty') {
    // The same message queued again (a restarted launch): nothing to do.
    if (
      state.campaignId === data.campaignId &&
      state.recipientId === data.recipientId &&
      state.tenantId === data.tenantId
    ) {
      return [];
    }
    throw new MessageError('MESSAGE_ALREADY_QUEUED', 'Another message has this id');
  }
  return [
    {
      type: 'MessageQueued',
      data: {
        messageId: data.messageId,
        campaignId: data.campaignId,
        tenantId: data.tenantId,
        recipientId: data.recipientId,
        listId: data.listId,
        template,
        queuedAt: now.toISOString(),
      },
    },
  ];
};

const claim = ({ data, metadata: { now } }: ClaimMessage, state: Message): MessageEvent[] => {
  const message = ownedBy(state, data.tenantId);
  const workerId = validWorkerId(data.workerId);
  if (
    typeof data.leaseMs !== 'number' ||
    !Number.isInteger(data.leaseMs) ||
    data.leaseMs < 1 ||
    data.leaseMs > MESSAGE_LIMITS.leaseMaxMs
  ) {
    throw new MessageError(
      'INVALID_LEASE',
      `leaseMs must be 1 to ${MESSAGE_LIMITS.leaseMaxMs} milliseconds`,
    );
  }
  notFinished(message);
  let expiredClaim: ExpiredClaim | null = null;
  if (message.status === 'Claimed') {
    if (Date.parse(message.claim.leaseUntil) > now.getTime()) {
      throw new MessageError(
        'MESSAGE_CLAIMED',
        `Claimed by ${message.claim.workerId} until ${message.claim.leaseUntil}`,
      );
    }
    expiredClaim = message.claim;
  }
  if (message.status === 'Deferred' && Date.parse(message.nextAttemptAt) > now.getTime()) {
    throw new MessageError('MESSAGE_NOT_DUE', `Next attempt at ${message.nextAttemptAt}`);
  }
  return [
    {
      type: 'MessageClaimed',
      data: {
        ...ids(message),
        workerId,
        attempt: message.attempts + 1,
        claimedAt: now.toISOString(),
        leaseUntil: new Date(now.getTime() + data.leaseMs).toISOString(),
        expiredClaim,
      },
    },
  ];
};

const sent = ({ data, metadata: { now } }: RecordMessageSent, state: Message): MessageEvent[] => {
  const message = heldBy(state, data.tenantId, data.workerId);
  return [
    {
      type: 'MessageSent',
      data: { ...ids(message), smtpReply: validReply(data.smtpReply), sentAt: now.toISOString() },
    },
  ];
};

const defer = ({ data, metadata: { now } }: DeferMessage, state: Message): MessageEvent[] => {
  const message = heldBy(state, data.tenantId, data.workerId);
  const smtpReply = validReply(data.smtpReply);
  if (!isValidDate(data.nextAttemptAt) || data.nextAttemptAt.getTime() <= now.getTime()) {
    throw new MessageError('INVALID_NEXT_ATTEMPT', 'nextAttemptAt must be in the future');
  }
  return [
    {
      type: 'MessageDeferred',
      data: {
        ...ids(message),
        smtpReply,
        attempt: message.claim.attempt,
        nextAttemptAt: data.nextAttemptAt.toISOString(),
        deferredAt: now.toISOString(),
      },
    },
  ];
};

const bounce = ({ data, metadata: { now } }: BounceMessage, state: Message): MessageEvent[] => {
  const message = heldBy(state, data.tenantId, data.workerId);
  const smtpReply = validReply(data.smtpReply);
  const status = validStatus(data.status);
  // Without a kind, by the code alone; the delivery worker passes `classifyBounce`'s, which
  // reads the reply text too.
  const kind = data.kind === undefined ? bounceKindOfStatus(status) : validKind(data.kind);
  return [
    {
      type: 'MessageBounced',
      data: { ...ids(message), smtpReply, status, kind, source: 'smtp', at: now.toISOString() },
    },
  ];
};

/**
 * A later report that a sent message did not arrive. The same report again (a second DSN, a
 * webhook retry) changes nothing, nor does a softer one after a bounce; a hard one after a soft
 * or blocked bounce is recorded (the address is gone after all). A report about a message not
 * sent is refused (`MESSAGE_NOT_SENT`).
 */
const recordBounce = (
  { data, metadata: { now } }: RecordBounce,
  state: Message,
): MessageEvent[] => {
  const message = ownedBy(state, data.tenantId);
  const kind = validKind(data.kind);
  const status = validStatus(data.status);
  const source = validSource(data.source, 'INVALID_BOUNCE');
  const diagnostic =
    data.diagnostic === null || data.diagnostic === undefined
      ? null
      : typeof data.diagnostic === 'string'
        ? data.diagnostic
        : invalid('INVALID_BOUNCE', 'diagnostic must be a string');
  // Bounced already: the same report again changes nothing, but a later report that the address
  // is gone (hard) after a soft or blocked one is recorded, so the policy suppresses the address.
  if (message.status === 'Bounced' && (message.kind === 'hard' || kind !== 'hard')) return [];
  if (message.status !== 'Sent' && message.status !== 'Bounced') {
    throw new MessageError('MESSAGE_NOT_SENT', `The message is ${message.status}, not sent`);
  }
  const smtpReply = diagnostic?.trim()
    ? validReply(diagnostic)
    : `${source === 'dsn' ? 'delivery status notification' : 'webhook'}: ${status ?? 'no status'}`;
  return [
    {
      type: 'MessageBounced',
      data: { ...ids(message), smtpReply, status, kind, source, at: now.toISOString() },
    },
  ];
};

/** A complaint about a sent message; the same complaint again changes nothing. */
const recordComplaint = (
  { data, metadata: { now } }: RecordComplaint,
  state: Message,
): MessageEvent[] => {
  const message = ownedBy(state, data.tenantId);
  const source = validSource(data.source, 'INVALID_COMPLAINT');
  const feedbackType =
    typeof data.feedbackType === 'string' ? data.feedbackType.trim().toLowerCase() : '';
  if (
    feedbackType.length > MESSAGE_LIMITS.feedbackTypeMaxLength ||
    !FEEDBACK_TYPE.test(feedbackType)
  ) {
    throw new MessageError(
      'INVALID_COMPLAINT',
      `feedbackType must be a token of up to ${MESSAGE_LIMITS.feedbackTypeMaxLength} characters, e.g. abuse`,
    );
  }
  if (message.status !== 'Sent') {
    throw new MessageError('MESSAGE_NOT_SENT', `The message is ${message.status}, not sent`);
  }
  if (message.complainedAt !== null) return [];
  return [
    {
      type: 'MessageComplained',
      data: { ...ids(message), feedbackType, source, at: now.toISOString() },
    },
  ];
};

const fail = ({ data, metadata: { now } }: FailMessage, state: Message): MessageEvent[] => {
  const message = ownedBy(state, data.tenantId);
  notFinished(message);
  if (message.status === 'Claimed') heldBy(message, data.tenantId, data.workerId);
  else if (message.status !== 'Deferred') {
    throw new MessageError('MESSAGE_NOT_CLAIMED', 'Only a claimed or deferred message can fail');
  }
  const reason = typeof data.reason === 'string' ? data.reason.trim() : '';
  if (reason.length < 1 || reason.length > MESSAGE_LIMITS.failureReasonMaxLength) {
    throw new MessageError(
      'INVALID_FAILURE_REASON',
      `reason must be 1 to ${MESSAGE_LIMITS.failureReasonMaxLength} characters`,
    );
  }
  return [
    {
      type: 'MessageFailed',
      data: { ...ids(message), reason: redact(reason), at: now.toISOString() },
    },
  ];
};

const cancel = ({ data, metadata: { now } }: CancelMessage, state: Message): MessageEvent[] => {
  const message = ownedBy(state, data.tenantId);
  if (!MESSAGE_CANCEL_REASONS.includes(data.reason)) {
    throw new MessageError(
      'INVALID_CANCEL_REASON',
      `reason must be one of ${MESSAGE_CANCEL_REASONS.join(', ')}`,
    );
  }
  if (message.status === 'Cancelled') return [];
  notFinished(message);
  if (message.status === 'Claimed') {
    // In the middle of an SMTP transaction: its outcome will be recorded.
    throw new MessageError('MESSAGE_CLAIMED', 'The message is being sent');
  }
  return [
    {
      type: 'MessageCancelled',
      data: { ...ids(message), reason: data.reason, at: now.toISOString() },
    },
  ];
};

// ── Helpers ────────────────────────────────────────────────────────────────────────────────────

const ids = (message: Started) => ({
  messageId: message.messageId,
  campaignId: message.campaignId,
  tenantId: message.tenantId,
});

/** Another tenant's message does not exist as far as this tenant can tell. */
const ownedBy = (state: Message, tenantId: string): Started => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new MessageError('MESSAGE_NOT_FOUND');
  }
  return state;
};

const notFinished = (message: Started): void => {
  if (FINAL_MESSAGE_STATUSES.includes(message.status)) {
    throw new MessageError('MESSAGE_FINISHED', `The message is already ${message.status}`);
  }
};

/** The message is claimed, by this worker: only the claim holder records an outcome. */
const heldBy = (
  state: Message,
  tenantId: string,
  workerId: string | null | undefined,
): Extract<Message, { status: 'Claimed' }> => {
  const message = ownedBy(state, tenantId);
  notFinished(message);
  if (message.status !== 'Claimed') {
    throw new MessageError('MESSAGE_NOT_CLAIMED', 'Claim the message before recording an outcome');
  }
  if (message.claim.workerId !== workerId) {
    throw new MessageError('CLAIM_NOT_HELD', `The claim is held by ${message.claim.workerId}`);
  }
  return message;
};

const validWorkerId = (workerId: unknown): string => {
  if (
    typeof workerId !== 'string' ||
    workerId.trim().length === 0 ||
    workerId.length > MESSAGE_LIMITS.workerIdMaxLength
  ) {
    throw new MessageError(
      'INVALID_WORKER_ID',
      `workerId must be 1 to ${MESSAGE_LIMITS.workerIdMaxLength} characters`,
    );
  }
  return workerId;
};

/** An SMTP reply as an event keeps it: one line, bounded, with any address in it blanked. */
const validReply = (reply: unknown): string => {
  if (typeof reply !== 'string') {
    throw new MessageError('INVALID_SMTP_REPLY', 'smtpReply must be a string');
  }
  const oneLine = reply.replace(/\s+/g, ' ').trim();
  if (oneLine.length === 0) throw new MessageError('INVALID_SMTP_REPLY', 'smtpReply is empty');
  return redact(oneLine).slice(0, MESSAGE_LIMITS.smtpReplyMaxLength);
};

const validStatus = (status: unknown): string | null => {
  if (status === null || status === undefined) return null;
  if (typeof status !== 'string' || !ENHANCED_STATUS.test(status)) {
    throw new MessageError('INVALID_BOUNCE_STATUS', 'status must be an RFC 3463 code like 5.1.1');
  }
  return status;
};

const validKind = (kind: unknown): BounceKind => {
  if (!BOUNCE_KINDS.includes(kind as BounceKind)) {
    throw new MessageError('INVALID_BOUNCE', `kind must be one of ${BOUNCE_KINDS.join(', ')}`);
  }
  return kind as BounceKind;
};

const validSource = (
  source: unknown,
  code: 'INVALID_BOUNCE' | 'INVALID_COMPLAINT',
): 'dsn' | 'webhook' => {
  if (source !== 'dsn' && source !== 'webhook') {
    throw new MessageError(code, 'source must be dsn or webhook');
  }
  return source;
};

const invalid = (code: 'INVALID_BOUNCE', message: string): never => {
  throw new MessageError(code, message);
};

const redact = (text: string): string => text.replace(ADDRESS_IN_REPLY, '[address]');

const validTemplate = (ref: unknown): MessageTemplateRef | null => {
  if (ref === undefined || ref === null) return null;
  const { templateId, revision } = ref as { templateId?: unknown; revision?: unknown };
  if (
    !isUuid(templateId) ||
    typeof revision !== 'number' ||
    !Number.isSafeInteger(revision) ||
    revision < 1
  ) {
    throw new MessageError('INVALID_MESSAGE', 'A template reference is an id and a revision');
  }
  return { templateId, revision };
};
