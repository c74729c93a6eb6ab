import { assertNever } from '../core/assert-never.js';
import { isUuid, isValidDate } from '../core/validation.js';

import type {
  CompletePrivacyRequest,
  ExtendPrivacyRequest,
  OpenPrivacyRequest,
  PrivacyRequestCommand,
  RejectPrivacyRequest,
} from './privacy-request.commands.js';
import {
  addCalendarMonths,
  extendedDueDate,
  privacyRequestDueDate,
} from './privacy-request.due-date.js';
import { PrivacyRequestError } from './privacy-request.errors.js';
import type {
  PrivacyRegulation,
  PrivacyRequestEvent,
  PrivacyRequestKind,
  PrivacyRequestRejectionReason,
  PrivacySubjectType,
} from './privacy-request.events.js';
import type { OpenPrivacyRequestState, PrivacyRequest } from './privacy-request.state.js';

export const PRIVACY_REQUEST_LIMITS = {
  referenceMaxLength: 100,
  codeMaxLength: 40,
  actorMaxLength: 100,
  /** How far ahead of the server's clock a `receivedAt` may be (clock skew). */
  receivedAtSkewMs: 5 * 60_000,
  /** How old a request may be when it is logged, in calendar months. */
  receivedAtMaxAgeMonths: 12,
} as const;

export const PRIVACY_REQUEST_KINDS: readonly PrivacyRequestKind[] = [
  'access',
  'portability',
  'rectification',
  'erasure',
  'restriction',
  'objection',
  'child',
];
export const PRIVACY_REGULATIONS: readonly PrivacyRegulation[] = ['gdpr', 'ccpa'];
export const PRIVACY_SUBJECT_TYPES: readonly PrivacySubjectType[] = ['recipient', 'account'];
export const PRIVACY_REQUEST_REJECTION_REASONS: readonly PrivacyRequestRejectionReason[] = [
  'identity_not_verified',
  'subject_not_found',
  'manifestly_unfounded',
  'duplicate',
  'withdrawn',
];

export const decidePrivacyRequest = (
  command: PrivacyRequestCommand,
  state: PrivacyRequest,
): PrivacyRequestEvent[] => {
  switch (command.type) {
    case 'OpenPrivacyRequest':
      return open(command, state);
    case 'CompletePrivacyRequest':
      return complete(command, state);
    case 'RejectPrivacyRequest':
      return reject(command, state);
    case 'ExtendPrivacyRequest':
      return extend(command, state);
    default:
      return assertNever(command, 'Unknown privacy request command');
  }
};

const open = (
  { data, metadata: { now } }: OpenPrivacyRequest,
  state: PrivacyRequest,
): PrivacyRequestEvent[] => {
  if (state.status !== 'Empty') {
    if (sameOpening(state, data)) return []; // a retried command, whatever happened since
    throw new PrivacyRequestError('PRIVACY_REQUEST_ALREADY_EXISTS');
  }
  const kind = oneOf(data.kind, PRIVACY_REQUEST_KINDS, 'INVALID_PRIVACY_REQUEST_KIND', 'kind');
  const regulation = oneOf(
    data.regulation,
    PRIVACY_REGULATIONS,
    'INVALID_REGULATION',
    'regulation',
  );
  const subjectType = oneOf(
    data.subjectType,
    PRIVACY_SUBJECT_TYPES,
    'INVALID_SUBJECT_TYPE',
    'subject type',
  );
  const receivedAt = validReceivedAt(data.receivedAt, now);
  return [
    {
      type: 'PrivacyRequestOpened',
      data: {
        requestId: data.requestId,
        tenantId: data.tenantId,
        kind,
        regulation,
        subjectType,
        subjectId: validSubjectId(data.subjectId),
        reference: validReference(data.reference),
        receivedAt: receivedAt.toISOString(),
        dueAt: privacyRequestDueDate(receivedAt, regulation).toISOString(),
        openedAt: now.toISOString(),
        openedBy: validActor(data.openedBy),
      },
    },
  ];
};

const complete = (
  { data, metadata: { now } }: CompletePrivacyRequest,
  state: PrivacyRequest,
): PrivacyRequestEvent[] => {
  const owned = ownedBy(state, data.tenantId);
  if (owned.status === 'Completed' && owned.outcome === data.outcome) return [];
  const request = stillOpen(owned);
  return [
    {
      type: 'PrivacyRequestCompleted',
      data: {
        requestId: request.requestId,
        tenantId: request.tenantId,
        outcome: validCode(data.outcome, 'INVALID_OUTCOME', 'An outcome'),
        completedAt: now.toISOString(),
        completedBy: validActor(data.completedBy),
      },
    },
  ];
};

const reject = (
  { data, metadata: { now } }: RejectPrivacyRequest,
  state: PrivacyRequest,
): PrivacyRequestEvent[] => {
  const request = stillOpen(ownedBy(state, data.tenantId));
  return [
    {
      type: 'PrivacyRequestRejected',
      data: {
        requestId: request.requestId,
        tenantId: request.tenantId,
        reason: oneOf(
          data.reason,
          PRIVACY_REQUEST_REJECTION_REASONS,
          'INVALID_REJECTION_REASON',
          'rejection reason',
        ),
        rejectedAt: now.toISOString(),
        rejectedBy: validActor(data.rejectedBy),
      },
    },
  ];
};

const extend = (
  { data, metadata: { now } }: ExtendPrivacyRequest,
  state: PrivacyRequest,
): PrivacyRequestEvent[] => {
  const request = stillOpen(ownedBy(state, data.tenantId));
  if (request.extended) {
    throw new PrivacyRequestError(
      'PRIVACY_REQUEST_ALREADY_EXTENDED',
      'A request can be extended only once',
    );
  }
  const dueAt = new Date(request.dueAt);
  if (now.getTime() > dueAt.getTime()) {
    throw new PrivacyRequestError(
      'PRIVACY_REQUEST_OVERDUE',
      'An extension must be taken (and the person told) before the deadline passes',
    );
  }
  return [
    {
      type: 'PrivacyRequestExtended',
      data: {
        requestId: request.requestId,
        tenantId: request.tenantId,
        dueAt: extendedDueDate(dueAt, request.regulation).toISOString(),
        extendedAt: now.toISOString(),
        extendedBy: validActor(data.extendedBy),
        reason: validCode(data.reason, 'INVALID_EXTENSION_REASON', 'An extension reason'),
      },
    },
  ];
};

// ── State guards ───────────────────────────────────────────────────────────────────────────────

/** A request of another tenant does not exist, as far as this tenant can tell. */
const ownedBy = (
  state: PrivacyRequest,
  tenantId: string,
): Exclude<PrivacyRequest, { status: 'Empty' }> => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new PrivacyRequestError('PRIVACY_REQUEST_NOT_FOUND');
  }
  return state;
};

const stillOpen = (
  request: Exclude<PrivacyRequest, { status: 'Empty' }>,
): OpenPrivacyRequestState => {
  if (request.status !== 'Open') {
    throw new PrivacyRequestError(
      'PRIVACY_REQUEST_CLOSED',
      `This request was already ${request.status.toLowerCase()}`,
    );
  }
  return request;
};

/** The same command again: every field equal once normalised (the reference, the instant). */
const sameOpening = (
  request: Exclude<PrivacyRequest, { status: 'Empty' }>,
  data: OpenPrivacyRequest['data'],
): boolean =>
  request.requestId === data.requestId &&
  request.tenantId === data.tenantId &&
  request.kind === data.kind &&
  request.regulation === data.regulation &&
  request.subjectType === data.subjectType &&
  request.subjectId === (data.subjectId ?? null) &&
  request.reference === (data.reference === '' ? null : (data.reference ?? null)) &&
  isValidDate(data.receivedAt) &&
  Date.parse(request.receivedAt) === data.receivedAt.getTime() &&
  request.openedBy === data.openedBy;

// ── Validation: returns the normalised value or throws a typed error ───────────────────────────

const REFERENCE = /^[A-Za-z0-9._:#/-]+$/;
const CODE = /^[a-z_]+$/;
/** `api-key:<id>`, `operator:cli`, `system:retention`: a kind, a colon and an id, no personal data. */
const ACTOR = /^[a-z][a-z0-9_-]*:[A-Za-z0-9._:/-]+$/;

const oneOf = <T extends string>(
  value: unknown,
  allowed: readonly T[],
  code:
    | 'INVALID_PRIVACY_REQUEST_KIND'
    | 'INVALID_REGULATION'
    | 'INVALID_SUBJECT_TYPE'
    | 'INVALID_REJECTION_REASON',
  what: string,
): T => {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new PrivacyRequestError(code, `A ${what} is one of ${allowed.join(', ')}`);
  }
  return value as T;
};

const validReceivedAt = (receivedAt: unknown, now: Date): Date => {
  if (!isValidDate(receivedAt)) {
    throw new PrivacyRequestError('INVALID_RECEIVED_AT', 'The date received is not a date');
  }
  if (receivedAt.getTime() > now.getTime() + PRIVACY_REQUEST_LIMITS.receivedAtSkewMs) {
    throw new PrivacyRequestError(
      'INVALID_RECEIVED_AT',
      'A request cannot be received in the future',
    );
  }
  const oldest = addCalendarMonths(now, -PRIVACY_REQUEST_LIMITS.receivedAtMaxAgeMonths);
  if (receivedAt.getTime() < oldest.getTime()) {
    throw new PrivacyRequestError(
      'INVALID_RECEIVED_AT',
      'A request received more than a year ago cannot be logged',
    );
  }
  return new Date(receivedAt.getTime());
};

const validSubjectId = (subjectId: unknown): string | null => {
  if (subjectId === undefined || subjectId === null) return null;
  if (!isUuid(subjectId)) {
    throw new PrivacyRequestError(
      'INVALID_SUBJECT_ID',
      'A subject is identified by its id (a UUID), never by an address or a name',
    );
  }
  return subjectId;
};

const validReference = (reference: unknown): string | null => {
  if (reference === undefined || reference === null || reference === '') return null;
  if (
    typeof reference !== 'string' ||
    reference.length > PRIVACY_REQUEST_LIMITS.referenceMaxLength ||
    !REFERENCE.test(reference)
  ) {
    throw new PrivacyRequestError(
      'INVALID_REFERENCE',
      `A request reference is 1 to ${PRIVACY_REQUEST_LIMITS.referenceMaxLength} characters of letters, digits and . _ : # / -`,
    );
  }
  return reference;
};

const validCode = (
  value: unknown,
  code: 'INVALID_OUTCOME' | 'INVALID_EXTENSION_REASON',
  what: string,
): string => {
  if (
    typeof value !== 'string' ||
    value.length > PRIVACY_REQUEST_LIMITS.codeMaxLength ||
    !CODE.test(value)
  ) {
    throw new PrivacyRequestError(
      code,
      `${what} is a code of 1 to ${PRIVACY_REQUEST_LIMITS.codeMaxLength} lower-case letters and _`,
    );
  }
  return value;
};

const validActor = (actor: unknown): string => {
  if (
    typeof actor !== 'string' ||
    actor.length > PRIVACY_REQUEST_LIMITS.actorMaxLength ||
    !ACTOR.test(actor)
  ) {
    throw new PrivacyRequestError(
      'INVALID_ACTOR',
      'An actor is an actor id such as api-key:<id> or operator:cli',
    );
  }
  return actor;
};
