import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type MessageErrorCode =
  | 'MESSAGE_NOT_FOUND'
  | 'MESSAGE_ALREADY_QUEUED'
  | 'MESSAGE_CLAIMED'
  | 'MESSAGE_NOT_CLAIMED'
  | 'CLAIM_NOT_HELD'
  | 'MESSAGE_NOT_DUE'
  | 'MESSAGE_FINISHED'
  | 'INVALID_MESSAGE'
  | 'INVALID_WORKER_ID'
  | 'INVALID_LEASE'
  | 'INVALID_SMTP_REPLY'
  | 'INVALID_NEXT_ATTEMPT'
  | 'INVALID_BOUNCE_STATUS'
  | 'INVALID_FAILURE_REASON'
  | 'INVALID_CANCEL_REASON';

/** The one place a message error code gets its API kind. */
export const messageErrorKinds: ErrorKindTable<MessageErrorCode> = {
  MESSAGE_NOT_FOUND: 'NOT_FOUND',
  MESSAGE_ALREADY_QUEUED: 'CONFLICT',
  MESSAGE_CLAIMED: 'CONFLICT',
  MESSAGE_NOT_CLAIMED: 'CONFLICT',
  CLAIM_NOT_HELD: 'CONFLICT',
  MESSAGE_NOT_DUE: 'CONFLICT',
  MESSAGE_FINISHED: 'CONFLICT',
  INVALID_MESSAGE: 'BAD_USER_INPUT',
  INVALID_WORKER_ID: 'BAD_USER_INPUT',
  INVALID_LEASE: 'BAD_USER_INPUT',
  INVALID_SMTP_REPLY: 'BAD_USER_INPUT',
  INVALID_NEXT_ATTEMPT: 'BAD_USER_INPUT',
  INVALID_BOUNCE_STATUS: 'BAD_USER_INPUT',
  INVALID_FAILURE_REASON: 'BAD_USER_INPUT',
  INVALID_CANCEL_REASON: 'BAD_USER_INPUT',
};

export class MessageError extends DomainError<MessageErrorCode> {
  constructor(code: MessageErrorCode, message?: string) {
    super(code, messageErrorKinds, message);
  }
}
