import { assertNever } from '../core/assert-never.js';

import type {
  PrivacyRegulation,
  PrivacyRequestEvent,
  PrivacyRequestKind,
  PrivacyRequestRejectionReason,
  PrivacySubjectType,
} from './privacy-request.events.js';

/** What the request was opened with (kept whole, so that a retried opening is recognised). */
type Opening = Readonly<{
  requestId: string;
  tenantId: string;
  kind: PrivacyRequestKind;
  regulation: PrivacyRegulation;
  subjectType: PrivacySubjectType;
  subjectId: string | null;
  reference: string | null;
  receivedAt: string;
  openedBy: string;
  /** The current deadline, ISO-8601: moved once by an extension. */
  dueAt: string;
  extended: boolean;
}>;

export type OpenPrivacyRequestState = Opening & Readonly<{ status: 'Open' }>;

export type PrivacyRequest =
  | Readonly<{ status: 'Empty' }>
  | OpenPrivacyRequestState
  | (Opening & Readonly<{ status: 'Completed'; outcome: string }>)
  | (Opening & Readonly<{ status: 'Rejected'; reason: PrivacyRequestRejectionReason }>);

export type PrivacyRequestStatus = PrivacyRequest['status'];

export const initialPrivacyRequestState = (): PrivacyRequest => ({ status: 'Empty' });

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolvePrivacyRequest = (
  state: PrivacyRequest,
  event: PrivacyRequestEvent,
): PrivacyRequest => {
  switch (event.type) {
    case 'PrivacyRequestOpened': {
      if (state.status !== 'Empty') return state;
      const { data } = event;
      return {
        status: 'Open',
        requestId: data.requestId,
        tenantId: data.tenantId,
        kind: data.kind,
        regulation: data.regulation,
        subjectType: data.subjectType,
        subjectId: data.subjectId,
        reference: data.reference,
        receivedAt: data.receivedAt,
        openedBy: data.openedBy,
        dueAt: data.dueAt,
        extended: false,
      };
    }
    case 'PrivacyRequestCompleted':
      return state.status === 'Open'
        ? { ...state, status: 'Completed', outcome: event.data.outcome }
        : state;
    case 'PrivacyRequestRejected':
      return state.status === 'Open'
        ? { ...state, status: 'Rejected', reason: event.data.reason }
        : state;
    case 'PrivacyRequestExtended':
      return state.status === 'Open' && !state.extended
        ? { ...state, dueAt: event.data.dueAt, extended: true }
        : state;
    default:
      return assertNever(event, 'Unknown privacy request event');
  }
};
