import {
  extendedDueDate,
  privacyRequestDueDate,
  type CompletePrivacyRequest,
  type ExtendPrivacyRequest,
  type OpenPrivacyRequest,
  type PrivacyRequestCompleted,
  type PrivacyRequestExtended,
  type PrivacyRequestOpened,
  type PrivacyRequestRejected,
  type RejectPrivacyRequest,
} from '#domain';

import { aNow, anId } from './common.builders.js';

/**
 * The tenant of privacy requests built without one. Fresh for each test file (Jest loads modules
 * per file), and shared inside it so that `aPrivacyRequestOpened({ requestId })` and
 * `aCompletePrivacyRequest({ requestId })` belong to the same tenant without saying so.
 */
export const defaultPrivacyRequestTenantId = anId();

/** The actor of privacy request commands and events built without one. */
export const defaultPrivacyRequestActor = 'operator:cli';

type WithNow = { now?: Date };

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

/** A GDPR erasure request about a recipient, received now. */
export const anOpenPrivacyRequest = ({
  now = aNow(),
  ...overrides
}: Partial<OpenPrivacyRequest['data']> & WithNow = {}): OpenPrivacyRequest => ({
  type: 'OpenPrivacyRequest',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    kind: 'erasure',
    regulation: 'gdpr',
    subjectType: 'recipient',
    subjectId: null,
    reference: 'TICKET-4711',
    receivedAt: aNow(),
    openedBy: defaultPrivacyRequestActor,
    ...overrides,
  },
  metadata: { now },
});

export const aCompletePrivacyRequest = ({
  now = aNow(),
  ...overrides
}: Partial<CompletePrivacyRequest['data']> & WithNow = {}): CompletePrivacyRequest => ({
  type: 'CompletePrivacyRequest',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    completedBy: defaultPrivacyRequestActor,
    outcome: 'erased',
    ...overrides,
  },
  metadata: { now },
});

export const aRejectPrivacyRequest = ({
  now = aNow(),
  ...overrides
}: Partial<RejectPrivacyRequest['data']> & WithNow = {}): RejectPrivacyRequest => ({
  type: 'RejectPrivacyRequest',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    rejectedBy: defaultPrivacyRequestActor,
    reason: 'identity_not_verified',
    ...overrides,
  },
  metadata: { now },
});

export const anExtendPrivacyRequest = ({
  now = aNow(),
  ...overrides
}: Partial<ExtendPrivacyRequest['data']> & WithNow = {}): ExtendPrivacyRequest => ({
  type: 'ExtendPrivacyRequest',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    extendedBy: defaultPrivacyRequestActor,
    reason: 'complex_request',
    ...overrides,
  },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

/** Its `dueAt` follows `receivedAt` and `regulation` unless given. */
export const aPrivacyRequestOpened = (
  overrides: Partial<PrivacyRequestOpened['data']> = {},
): PrivacyRequestOpened => {
  const receivedAt = overrides.receivedAt ?? aNow().toISOString();
  const regulation = overrides.regulation ?? 'gdpr';
  return {
    type: 'PrivacyRequestOpened',
    data: {
      requestId: anId(),
      tenantId: defaultPrivacyRequestTenantId,
      kind: 'erasure',
      regulation,
      subjectType: 'recipient',
      subjectId: null,
      reference: 'TICKET-4711',
      receivedAt,
      dueAt: privacyRequestDueDate(new Date(receivedAt), regulation).toISOString(),
      openedAt: aNow().toISOString(),
      openedBy: defaultPrivacyRequestActor,
      ...overrides,
    },
  };
};

export const aPrivacyRequestCompleted = (
  overrides: Partial<PrivacyRequestCompleted['data']> = {},
): PrivacyRequestCompleted => ({
  type: 'PrivacyRequestCompleted',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    outcome: 'erased',
    completedAt: aNow().toISOString(),
    completedBy: defaultPrivacyRequestActor,
    ...overrides,
  },
});

export const aPrivacyRequestRejected = (
  overrides: Partial<PrivacyRequestRejected['data']> = {},
): PrivacyRequestRejected => ({
  type: 'PrivacyRequestRejected',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    reason: 'identity_not_verified',
    rejectedAt: aNow().toISOString(),
    rejectedBy: defaultPrivacyRequestActor,
    ...overrides,
  },
});

/** Its default `dueAt` is the extended deadline of a GDPR request received at `aNow()`. */
export const aPrivacyRequestExtended = (
  overrides: Partial<PrivacyRequestExtended['data']> = {},
): PrivacyRequestExtended => ({
  type: 'PrivacyRequestExtended',
  data: {
    requestId: anId(),
    tenantId: defaultPrivacyRequestTenantId,
    dueAt: extendedDueDate(privacyRequestDueDate(aNow(), 'gdpr'), 'gdpr').toISOString(),
    extendedAt: aNow().toISOString(),
    extendedBy: defaultPrivacyRequestActor,
    reason: 'complex_request',
    ...overrides,
  },
});
