import { assertNever } from '../core/assert-never.js';

import {
  type BounceKind,
  type BounceSource,
  type ExpiredClaim,
  type MessageCancelReason,
  type MessageEvent,
  type MessageTemplateRef,
  bounceKindOf,
} from './message.events.js';

type Identity = Readonly<{
  messageId: string;
  campaignId: string;
  tenantId: string;
  recipientId: string;
  listId: string;
  template: MessageTemplateRef | null;
  /** SMTP attempts started so far (claims). */
  attempts: number;
}>;

export type Message =
  | Readonly<{ status: 'Empty' }>
  | (Identity & Readonly<{ status: 'Queued' }>)
  | (Identity & Readonly<{ status: 'Claimed'; claim: ExpiredClaim }>)
  | (Identity & Readonly<{ status: 'Deferred'; nextAttemptAt: string }>)
  | (Identity & Readonly<{ status: 'Sent'; sentAt: string; complainedAt: string | null }>)
  | (Identity & Readonly<{ status: 'Bounced'; at: string; kind: BounceKind; source: BounceSource }>)
  | (Identity & Readonly<{ status: 'Failed'; at: string }>)
  | (Identity & Readonly<{ status: 'Cancelled'; reason: MessageCancelReason; at: string }>);

export type MessageStatus = Message['status'];

/** States no command moves on from. */
export const FINAL_MESSAGE_STATUSES: readonly MessageStatus[] = [
  'Sent',
  'Bounced',
  'Failed',
  'Cancelled',
];

export const initialMessageState = (): Message => ({ status: 'Empty' });

const identity = (state: Exclude<Message, { status: 'Empty' }>): Identity => ({
  messageId: state.messageId,
  campaignId: state.campaignId,
  tenantId: state.tenantId,
  recipientId: state.recipientId,
  listId: state.listId,
  template: state.template,
  attempts: state.attempts,
});

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveMessage = (state: Message, event: MessageEvent): Message => {
  if (event.type === 'MessageQueued') {
    if (state.status !== 'Empty') return state;
    const { data } = event;
    return {
      status: 'Queued',
      messageId: data.messageId,
      campaignId: data.campaignId,
      tenantId: data.tenantId,
      recipientId: data.recipientId,
      listId: data.listId,
      template: data.template,
      attempts: 0,
    };
  }
  if (state.status === 'Sent') return afterSent(state, event);
  if (state.status === 'Bounced' && event.type === 'MessageBounced') {
    // A hard bounce reported after a softer one: the address is gone after all.
    return bounceKindOf(event.data) === 'hard' ? bounced(identity(state), event.data) : state;
  }
  if (state.status === 'Empty' || FINAL_MESSAGE_STATUSES.includes(state.status)) return state;
  const ids = identity(state);
  switch (event.type) {
    case 'MessageClaimed': {
      const { data } = event;
      return {
        ...ids,
        status: 'Claimed',
        attempts: data.attempt,
        claim: {
          workerId: data.workerId,
          attempt: data.attempt,
          claimedAt: data.claimedAt,
          leaseUntil: data.leaseUntil,
        },
      };
    }
    case 'MessageSent':
      return { ...ids, status: 'Sent', sentAt: event.data.sentAt, complainedAt: null };
    case 'MessageDeferred':
      return { ...ids, status: 'Deferred', nextAttemptAt: event.data.nextAttemptAt };
    case 'MessageBounced':
      return bounced(ids, event.data);
    case 'MessageFailed':
      return { ...ids, status: 'Failed', at: event.data.at };
    case 'MessageCancelled':
      return { ...ids, status: 'Cancelled', reason: event.data.reason, at: event.data.at };
    case 'MessageComplained':
      return state; // only a sent message can be complained about
    default:
      return assertNever(event, 'Unknown message event');
  }
};

const bounced = (
  ids: Identity,
  data: Extract<MessageEvent, { type: 'MessageBounced' }>['data'],
): Message => ({
  ...ids,
  status: 'Bounced',
  at: data.at,
  kind: bounceKindOf(data),
  source: data.source ?? 'smtp',
});

/** A sent message can still bounce (a later DSN or webhook) or be complained about. */
const afterSent = (state: Extract<Message, { status: 'Sent' }>, event: MessageEvent): Message => {
  switch (event.type) {
    case 'MessageBounced':
      return bounced(identity(state), event.data);
    case 'MessageComplained':
      return state.complainedAt === null ? { ...state, complainedAt: event.data.at } : state;
    case 'MessageQueued':
    case 'MessageClaimed':
    case 'MessageSent':
    case 'MessageDeferred':
    case 'MessageFailed':
    case 'MessageCancelled':
      return state; // sent is final for sending itself
    default:
      return assertNever(event, 'Unknown message event');
  }
};
