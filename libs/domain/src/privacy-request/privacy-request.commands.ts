import type { Command } from '../core/decider.js';

import type {
  PrivacyRegulation,
  PrivacyRequestKind,
  PrivacyRequestRejectionReason,
  PrivacySubjectType,
} from './privacy-request.events.js';

export type OpenPrivacyRequest = Command<
  'OpenPrivacyRequest',
  {
    requestId: string;
    tenantId: string;
    kind: PrivacyRequestKind;
    regulation: PrivacyRegulation;
    subjectType: PrivacySubjectType;
    /** The recipient or account the request is about, when known (a UUID, never an address). */
    subjectId: string | null;
    /** The tenant's or support's own reference for the request, e.g. a ticket number. */
    reference: string | null;
    /** When the data subject made the request: the legal clock starts here. */
    receivedAt: Date;
    /** Actor id of whoever logged the request (an API key id, `operator:cli`). */
    openedBy: string;
  }
>;

export type CompletePrivacyRequest = Command<
  'CompletePrivacyRequest',
  {
    requestId: string;
    tenantId: string;
    completedBy: string;
    /** A short code of what was done: `erased`, `exported`, `restricted`, `objected`, `corrected`… */
    outcome: string;
  }
>;

export type RejectPrivacyRequest = Command<
  'RejectPrivacyRequest',
  {
    requestId: string;
    tenantId: string;
    rejectedBy: string;
    reason: PrivacyRequestRejectionReason;
  }
>;

export type ExtendPrivacyRequest = Command<
  'ExtendPrivacyRequest',
  {
    requestId: string;
    tenantId: string;
    extendedBy: string;
    /** A short code of why more time is needed, e.g. `complex_request`, `many_requests`. */
    reason: string;
  }
>;

export type PrivacyRequestCommand =
  OpenPrivacyRequest | CompletePrivacyRequest | RejectPrivacyRequest | ExtendPrivacyRequest;
