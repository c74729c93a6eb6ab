import type { Event } from '../core/decider.js';

/** What the data subject asks for (GDPR Art. 15–22, CCPA §1798.100 ff., children's data). */
export type PrivacyRequestKind =
  'access' | 'portability' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'child';

/** The law the request is made under: it sets the deadline. */
export type PrivacyRegulation = 'gdpr' | 'ccpa';

/** Whose data: a tenant's recipient, or a MailPackr account. */
export type PrivacySubjectType = 'recipient' | 'account';

/** Why a request was turned down without being carried out. */
export type PrivacyRequestRejectionReason =
  | 'identity_not_verified'
  | 'subject_not_found'
  | 'manifestly_unfounded'
  | 'duplicate'
  | 'withdrawn';

/**
 * Dates are ISO-8601 strings so events round-trip through JSON unchanged. No personal data in any
 * of these events: the subject is an id, the reference a ticket-like code, actors are actor ids.
 */
export type PrivacyRequestOpened = Event<
  'PrivacyRequestOpened',
  {
    requestId: string;
    tenantId: string;
    kind: PrivacyRequestKind;
    regulation: PrivacyRegulation;
    subjectType: PrivacySubjectType;
    subjectId: string | null;
    reference: string | null;
    receivedAt: string;
    /** The legal deadline, from `receivedAt` and the regulation. */
    dueAt: string;
    openedAt: string;
    openedBy: string;
  }
>;

export type PrivacyRequestCompleted = Event<
  'PrivacyRequestCompleted',
  { requestId: string; tenantId: string; outcome: string; completedAt: string; completedBy: string }
>;

export type PrivacyRequestRejected = Event<
  'PrivacyRequestRejected',
  {
    requestId: string;
    tenantId: string;
    reason: PrivacyRequestRejectionReason;
    rejectedAt: string;
    rejectedBy: string;
  }
>;

export type PrivacyRequestExtended = Event<
  'PrivacyRequestExtended',
  {
    requestId: string;
    tenantId: string;
    /** The new deadline. */
    dueAt: string;
    extendedAt: string;
    extendedBy: string;
    reason: string;
  }
>;

export type PrivacyRequestEvent =
  PrivacyRequestOpened | PrivacyRequestCompleted | PrivacyRequestRejected | PrivacyRequestExtended;

export type PrivacyRequestEventType = PrivacyRequestEvent['type'];

const privacyRequestEventTypes = {
  PrivacyRequestOpened: true,
  PrivacyRequestCompleted: true,
  PrivacyRequestRejected: true,
  PrivacyRequestExtended: true,
} satisfies Record<PrivacyRequestEventType, true>;

/** Every privacy request event type, e.g. for a subscription filter. */
export const PRIVACY_REQUEST_EVENT_TYPES = Object.keys(
  privacyRequestEventTypes,
) as readonly PrivacyRequestEventType[];

export const isPrivacyRequestEventType = (type: string): type is PrivacyRequestEventType =>
  Object.hasOwn(privacyRequestEventTypes, type);
