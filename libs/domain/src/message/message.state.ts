import { assertNever } from '../core/assert-never.js';

import type {
  ExpiredClaim,
  MessageCancelReason,
  MessageEvent,
  MessageTemplateRef,
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
  | (Identity & Readonly<{ status: 'Sent'; sentAt: string }>)
  | (Identity & Readonly<{ status: 'Bounced'; at: string }>)
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
      return { ...ids, status: 'Sent', sentAt: event.data.sentAt };
    case 'MessageDeferred':
      return { ...ids, status: 'Deferred', nextAttemptAt: event.data.nextAttemptAt };
    case 'MessageBounced':
      return { ...ids, status: 'Bounced', at: event.data.at };
    case 'MessageFailed':
      return { ...ids, status: 'Failed', at: event.data.at };
    case 'MessageCancelled':
      return { ...ids, status: 'Cancelled', reason: event.data.reason, at: event.data.at };
    default:
      return assertNever(event, 'Unknown message event');
  }
};
