import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  DomainError,
  PERSONAL_DATA,
  PRIVACY_REGULATIONS,
  PRIVACY_REQUEST_EVENT_TYPES,
  PRIVACY_REQUEST_KINDS,
  PRIVACY_REQUEST_LIMITS,
  PRIVACY_REQUEST_REJECTION_REASONS,
  PRIVACY_REQUEST_STREAM_CATEGORY,
  PRIVACY_SUBJECT_TYPES,
  PrivacyRequestError,
  addCalendarMonths,
  evolveAll,
  extendedDueDate,
  isPrivacyRequestEventType,
  privacyRequestDecider,
  privacyRequestDueDate,
  privacyRequestErrorKinds,
  toPrivacyRequestStreamId,
  type OpenPrivacyRequest,
  type PrivacyRegulation,
  type PrivacyRequestCommand,
  type PrivacyRequestErrorCode,
  type PrivacyRequestEvent,
} from '#domain';

import {
  aNow,
  anId,
  daysAfter,
  minutesAfter,
} from '../../../testing/src/builders/common.builders.js';
import {
  aCompletePrivacyRequest,
  aPrivacyRequestCompleted,
  aPrivacyRequestExtended,
  aPrivacyRequestOpened,
  aPrivacyRequestRejected,
  aRejectPrivacyRequest,
  anExtendPrivacyRequest,
  anOpenPrivacyRequest,
  defaultPrivacyRequestActor,
  defaultPrivacyRequestTenantId,
} from '../../../testing/src/builders/privacy-request.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(privacyRequestDecider);

const withCode = (code: PrivacyRequestErrorCode) => (error: PrivacyRequestError) =>
  error.code === code;

const at = (iso: string): Date => new Date(iso);

describe('PrivacyRequest', () => {
  const now = aNow();
  const tenantId = defaultPrivacyRequestTenantId;
  const otherTenantId = anId();
  const actor = defaultPrivacyRequestActor;
  /** GDPR deadlines of a request received at `aNow()` (2025-01-01T10:00Z). */
  const gdprDueAt = '2025-02-01T10:00:00.000Z';
  const gdprExtendedDueAt = '2025-04-01T10:00:00.000Z';
  let requestId: string;

  beforeEach(() => {
    requestId = anId();
  });

  const opened = (overrides: Parameters<typeof aPrivacyRequestOpened>[0] = {}) =>
    aPrivacyRequestOpened({ requestId, tenantId, ...overrides });
  const extended = () => aPrivacyRequestExtended({ requestId, tenantId });
  const completed = (outcome = 'erased') =>
    aPrivacyRequestCompleted({ requestId, tenantId, outcome });
  const rejected = () => aPrivacyRequestRejected({ requestId, tenantId });

  const invalidReferences: Array<[string, unknown]> = [
    ['too long', 'R'.repeat(PRIVACY_REQUEST_LIMITS.referenceMaxLength + 1)],
    ['holding a space', 'TICKET 42'],
    ['on two lines', 'TICKET-42\nBcc: x@y.z'],
    ['holding markup', '<script>'],
    ['holding an email address', 'ada@example.com'],
    ['not a string', 42],
  ];

  const invalidCodes: Array<[string, unknown]> = [
    ['empty', ''],
    ['too long', 'x'.repeat(PRIVACY_REQUEST_LIMITS.codeMaxLength + 1)],
    ['in capitals', 'ERASED'],
    ['holding a space', 'partly erased'],
    ['holding digits', 'erased2'],
    ['holding a hyphen', 'partly-erased'],
    ['free text', 'Erased the data of ada@example.com'],
    ['not a string', 42],
    ['missing', undefined],
  ];

  const invalidActors: Array<[string, unknown]> = [
    ['empty', ''],
    ['without a kind', 'cli'],
    ['an email address', 'operator:ada@example.com'],
    ['a name', 'operator:Ada Lovelace'],
    ['too long', `api-key:${'k'.repeat(PRIVACY_REQUEST_LIMITS.actorMaxLength)}`],
    ['not a string', 42],
    ['missing', undefined],
  ];

  describe('Due dates', () => {
    it.each([
      ['mid-month', '2025-01-15T09:30:00.000Z', '2025-02-15T09:30:00.000Z'],
      ['on the first, at midnight', '2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z'],
      ['on Jan 31 (to Feb 28)', '2025-01-31T23:59:59.999Z', '2025-02-28T23:59:59.999Z'],
      [
        'on Jan 31 of a leap year (to Feb 29)',
        '2024-01-31T12:00:00.000Z',
        '2024-02-29T12:00:00.000Z',
      ],
      ['on Jan 29 of a leap year', '2024-01-29T08:00:00.000Z', '2024-02-29T08:00:00.000Z'],
      ['on Jan 29 of a common year', '2025-01-29T08:00:00.000Z', '2025-02-28T08:00:00.000Z'],
      ['on Jan 30 of a common year', '2025-01-30T08:00:00.000Z', '2025-02-28T08:00:00.000Z'],
      ['on Feb 29', '2024-02-29T17:45:00.000Z', '2024-03-29T17:45:00.000Z'],
      ['on Feb 28 of a common year', '2025-02-28T06:00:00.000Z', '2025-03-28T06:00:00.000Z'],
      ['on Mar 31 (to Apr 30)', '2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z'],
      ['on Aug 31 (to Sep 30)', '2025-08-31T10:00:00.000Z', '2025-09-30T10:00:00.000Z'],
      ['in December (to January)', '2025-12-15T08:00:00.000Z', '2026-01-15T08:00:00.000Z'],
      ['on Dec 31 (to Jan 31)', '2025-12-31T23:00:00.000Z', '2026-01-31T23:00:00.000Z'],
    ])('should give a GDPR request received %s one calendar month', (_, received, due) =>
      expect(privacyRequestDueDate(at(received), 'gdpr').toISOString()).toBe(due),
    );

    it.each([
      ['mid-month', '2025-02-15T09:30:00.000Z', '2025-04-15T09:30:00.000Z'],
      [
        'on Feb 28, from the original due date',
        '2025-02-28T10:00:00.000Z',
        '2025-04-28T10:00:00.000Z',
      ],
      ['on Dec 31 (to Feb 28)', '2025-12-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z'],
      [
        'on Dec 31 before a leap year (to Feb 29)',
        '2023-12-31T10:00:00.000Z',
        '2024-02-29T10:00:00.000Z',
      ],
      ['on Nov 30 (to Jan 30)', '2025-11-30T12:00:00.000Z', '2026-01-30T12:00:00.000Z'],
      ['on Jul 31 (to Sep 30)', '2025-07-31T12:00:00.000Z', '2025-09-30T12:00:00.000Z'],
    ])('should extend a GDPR deadline that falls %s by two calendar months', (_, due, later) =>
      expect(extendedDueDate(at(due), 'gdpr').toISOString()).toBe(later),
    );

    it.each([
      ['in January', '2025-01-01T10:00:00.000Z', '2025-02-15T10:00:00.000Z'],
      ['across Feb 29', '2024-02-01T00:00:00.000Z', '2024-03-17T00:00:00.000Z'],
      ['across Feb 28', '2025-02-01T00:00:00.000Z', '2025-03-18T00:00:00.000Z'],
      ['in December (to February)', '2025-12-20T18:30:00.000Z', '2026-02-03T18:30:00.000Z'],
    ])('should give a CCPA request received %s 45 days', (_, received, due) =>
      expect(privacyRequestDueDate(at(received), 'ccpa').toISOString()).toBe(due),
    );

    it.each([
      ['in February', '2025-02-15T10:00:00.000Z', '2025-04-01T10:00:00.000Z'],
      ['in November (to January)', '2025-11-30T12:00:00.000Z', '2026-01-14T12:00:00.000Z'],
    ])('should extend a CCPA deadline that falls %s by 45 more days', (_, due, later) =>
      expect(extendedDueDate(at(due), 'ccpa').toISOString()).toBe(later),
    );

    it('should give a received request 90 days in all under CCPA once extended', () => {
      const received = at('2025-06-10T14:00:00.000Z');
      const due = extendedDueDate(privacyRequestDueDate(received, 'ccpa'), 'ccpa');
      expect(due.getTime() - received.getTime()).toBe(90 * 24 * 60 * 60 * 1000);
    });

    it('should not change the date it is given', () => {
      const received = at('2025-01-31T12:00:00.000Z');
      privacyRequestDueDate(received, 'gdpr');
      extendedDueDate(received, 'gdpr');
      expect(received.toISOString()).toBe('2025-01-31T12:00:00.000Z');
    });

    it.each<[string, (date: Date, regulation: PrivacyRegulation) => Date]>([
      ['privacyRequestDueDate', privacyRequestDueDate],
      ['extendedDueDate', extendedDueDate],
    ])('should refuse an invalid date in %s', (_, dueDate) =>
      expect(() => dueDate(new Date('garbage'), 'gdpr')).toThrow(RangeError),
    );

    it.each([
      [
        'back a month from Mar 31 (to Feb 28)',
        '2025-03-31T10:00:00.000Z',
        -1,
        '2025-02-28T10:00:00.000Z',
      ],
      ['back a year from Feb 29', '2024-02-29T10:00:00.000Z', -12, '2023-02-28T10:00:00.000Z'],
      ['forward 13 months', '2024-12-31T10:00:00.000Z', 13, '2026-01-31T10:00:00.000Z'],
    ])('should move %s', (_, from, months, to) =>
      expect(addCalendarMonths(at(from), months).toISOString()).toBe(to),
    );
  });

  describe('When it does not exist yet', () => {
    it('should open it with its deadline', () =>
      given([])
        .when(
          anOpenPrivacyRequest({
            requestId,
            tenantId,
            kind: 'access',
            regulation: 'gdpr',
            subjectType: 'recipient',
            subjectId: '0B9F3C2E-4A5D-4F6E-8A7B-9C0D1E2F3A4B',
            reference: 'ZD#4711',
            receivedAt: at('2024-12-31T23:00:00.000Z'),
            openedBy: 'api-key:0b9f3c2e-4a5d-4f6e-8a7b-9c0d1e2f3a4b',
            now,
          }),
        )
        .then([
          {
            type: 'PrivacyRequestOpened',
            data: {
              requestId,
              tenantId,
              kind: 'access',
              regulation: 'gdpr',
              subjectType: 'recipient',
              subjectId: '0B9F3C2E-4A5D-4F6E-8A7B-9C0D1E2F3A4B',
              reference: 'ZD#4711',
              receivedAt: '2024-12-31T23:00:00.000Z',
              dueAt: '2025-01-31T23:00:00.000Z',
              openedAt: now.toISOString(),
              openedBy: 'api-key:0b9f3c2e-4a5d-4f6e-8a7b-9c0d1e2f3a4b',
            },
          },
        ]));

    it('should be Open once opened', () =>
      given([]).when(anOpenPrivacyRequest({ requestId, tenantId, now })).thenState({
        status: 'Open',
        requestId,
        tenantId,
        kind: 'erasure',
        regulation: 'gdpr',
        subjectType: 'recipient',
        subjectId: null,
        reference: 'TICKET-4711',
        receivedAt: now.toISOString(),
        openedBy: actor,
        dueAt: gdprDueAt,
        extended: false,
      }));

    it('should produce what the builders build', () =>
      given([]).when(anOpenPrivacyRequest({ requestId, tenantId })).then([opened()]));

    it('should give a CCPA request 45 days', () =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, regulation: 'ccpa', now }))
        .thenStateMatches({ status: 'Open', dueAt: '2025-02-15T10:00:00.000Z' }));

    it('should count from the day it was received, not the day it was logged', () =>
      given([])
        .when(
          anOpenPrivacyRequest({
            requestId,
            tenantId,
            receivedAt: at('2024-11-30T09:00:00.000Z'),
            now,
          }),
        )
        .thenStateMatches({ status: 'Open', dueAt: '2024-12-30T09:00:00.000Z' }));

    it.each(PRIVACY_REQUEST_KINDS.map((kind) => [kind]))('should open a %s request', (kind) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, kind }))
        .thenStateMatches({ status: 'Open', kind }),
    );

    it.each(PRIVACY_SUBJECT_TYPES.map((type) => [type]))(
      'should open a request about an %s',
      (subjectType) =>
        given([])
          .when(anOpenPrivacyRequest({ requestId, tenantId, subjectType, subjectId: anId() }))
          .thenStateMatches({ status: 'Open', subjectType }),
    );

    it.each<[string, string | null | undefined]>([
      ['null', null],
      ['empty', ''],
      ['not given', undefined],
    ])('should record a reference that is %s as null', (_, reference) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, reference: reference as string | null }))
        .then([opened({ reference: null })]),
    );

    it('should accept a reference of 100 characters', () =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, reference: 'R'.repeat(100) }))
        .thenStateMatches({ status: 'Open', reference: 'R'.repeat(100) }));

    it('should record a subject id that is not given as null', () =>
      given([])
        .when(
          anOpenPrivacyRequest({
            requestId,
            tenantId,
            subjectId: undefined as unknown as string | null,
          }),
        )
        .thenStateMatches({ status: 'Open', subjectId: null }));

    it.each([
      ['now', 0],
      ['5 minutes ahead (clock skew)', 5],
      ['365 days ago (2024 is a leap year)', -(365 * 24 * 60)],
      ['one calendar year ago to the millisecond', -(366 * 24 * 60)],
    ])('should accept a request received %s', (_, minutes) =>
      given([])
        .when(
          anOpenPrivacyRequest({
            requestId,
            tenantId,
            receivedAt: minutesAfter(now, minutes),
            now,
          }),
        )
        .thenStateMatches({ status: 'Open', receivedAt: minutesAfter(now, minutes).toISOString() }),
    );

    it('should accept a request received one calendar year ago across Feb 29', () => {
      const leapNow = at('2025-02-28T10:00:00.000Z');
      return given([])
        .when(
          anOpenPrivacyRequest({
            requestId,
            tenantId,
            receivedAt: at('2024-02-28T10:00:00.000Z'),
            now: leapNow,
          }),
        )
        .thenStateMatches({ status: 'Open', dueAt: '2024-03-28T10:00:00.000Z' });
    });

    it.each<[string, () => unknown]>([
      ['in the future', () => new Date(minutesAfter(now, 5).getTime() + 1)],
      ['tomorrow', () => daysAfter(now, 1)],
      ['more than a year ago', () => new Date(at('2024-01-01T10:00:00.000Z').getTime() - 1)],
      ['two years ago', () => daysAfter(now, -730)],
      ['an invalid date', () => new Date('garbage')],
      ['an ISO string rather than a Date', () => now.toISOString()],
      ['missing', () => undefined],
    ])('should refuse a request received %s', (_, receivedAt) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, receivedAt: receivedAt() as Date, now }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_RECEIVED_AT')),
    );

    it.each<[string, Partial<OpenPrivacyRequest['data']>, PrivacyRequestErrorCode]>([
      ['an unknown kind', { kind: 'deletion' as never }, 'INVALID_PRIVACY_REQUEST_KIND'],
      ['a kind in capitals', { kind: 'ERASURE' as never }, 'INVALID_PRIVACY_REQUEST_KIND'],
      ['an inherited name as kind', { kind: 'toString' as never }, 'INVALID_PRIVACY_REQUEST_KIND'],
      ['an unknown regulation', { regulation: 'lgpd' as never }, 'INVALID_REGULATION'],
      ['no regulation', { regulation: undefined }, 'INVALID_REGULATION'],
      ['an unknown subject type', { subjectType: 'person' as never }, 'INVALID_SUBJECT_TYPE'],
      ['a subject id that is an email', { subjectId: 'ada@example.com' }, 'INVALID_SUBJECT_ID'],
      ['a subject id that is not a UUID', { subjectId: 'recipient-42' }, 'INVALID_SUBJECT_ID'],
      ['an empty subject id', { subjectId: '' }, 'INVALID_SUBJECT_ID'],
    ])('should refuse %s', (_, overrides, code) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, ...overrides }))
        .thenThrows(PrivacyRequestError, withCode(code)),
    );

    it.each(invalidReferences)('should refuse a reference that is %s', (_, reference) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, reference: reference as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_REFERENCE')),
    );

    it.each(invalidActors)('should refuse an opening actor that is %s', (_, openedBy) =>
      given([])
        .when(anOpenPrivacyRequest({ requestId, tenantId, openedBy: openedBy as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_ACTOR')),
    );

    it.each<[string, () => PrivacyRequestCommand]>([
      ['complete', () => aCompletePrivacyRequest({ requestId, tenantId })],
      ['reject', () => aRejectPrivacyRequest({ requestId, tenantId })],
      ['extend', () => anExtendPrivacyRequest({ requestId, tenantId })],
    ])('should not %s it', (_, command) =>
      given([])
        .when(command())
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_NOT_FOUND')),
    );
  });

  describe('When open', () => {
    it('should record nothing when the same opening is retried', () =>
      given([opened()])
        .when(anOpenPrivacyRequest({ requestId, tenantId, now: daysAfter(now, 3) }))
        .thenNothing());

    it('should record nothing when the same opening is retried with an empty reference', () =>
      given([opened({ reference: null })])
        .when(anOpenPrivacyRequest({ requestId, tenantId, reference: '' }))
        .thenNothing());

    it('should record nothing for a retry after the year to log it in has passed', () =>
      given([opened()])
        .when(anOpenPrivacyRequest({ requestId, tenantId, now: daysAfter(now, 400) }))
        .thenNothing());

    it.each<[string, Partial<OpenPrivacyRequest['data']>]>([
      ['another kind', { kind: 'access' }],
      ['another regulation', { regulation: 'ccpa' }],
      ['another subject type', { subjectType: 'account' }],
      ['another subject', { subjectId: anId() }],
      ['another reference', { reference: 'TICKET-4712' }],
      ['no reference', { reference: null }],
      ['another date received', { receivedAt: minutesAfter(aNow(), -1) }],
      ['another actor', { openedBy: 'operator:support' }],
      ['another tenant', { tenantId: otherTenantId }],
      ['an invalid kind', { kind: 'nonsense' as never }],
      ['an invalid date received', { receivedAt: new Date('garbage') }],
    ])('should not open it again with %s', (_, overrides) =>
      given([opened()])
        .when(anOpenPrivacyRequest({ requestId, tenantId, ...overrides }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_ALREADY_EXISTS')),
    );

    it('should complete it', () =>
      given([opened()])
        .when(
          aCompletePrivacyRequest({
            requestId,
            tenantId,
            outcome: 'exported',
            completedBy: 'api-key:k1',
            now,
          }),
        )
        .then([
          {
            type: 'PrivacyRequestCompleted',
            data: {
              requestId,
              tenantId,
              outcome: 'exported',
              completedAt: now.toISOString(),
              completedBy: 'api-key:k1',
            },
          },
        ]));

    it('should be Completed once completed, with its outcome', () =>
      given([opened()])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: 'restricted' }))
        .thenStateMatches({ status: 'Completed', outcome: 'restricted', dueAt: gdprDueAt }));

    it('should complete it after its deadline (late, but done)', () =>
      given([opened()])
        .when(aCompletePrivacyRequest({ requestId, tenantId, now: daysAfter(now, 60) }))
        .thenStateMatches({ status: 'Completed' }));

    it.each(['erased', 'exported', 'restricted', 'objected', 'corrected', 'x'.repeat(40)])(
      'should accept the outcome %s',
      (outcome) =>
        given([opened()])
          .when(aCompletePrivacyRequest({ requestId, tenantId, outcome }))
          .thenStateMatches({ status: 'Completed', outcome }),
    );

    it.each(invalidCodes)('should refuse an outcome that is %s', (_, outcome) =>
      given([opened()])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: outcome as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_OUTCOME')),
    );

    it.each(invalidActors)('should refuse a completing actor that is %s', (_, completedBy) =>
      given([opened()])
        .when(aCompletePrivacyRequest({ requestId, tenantId, completedBy: completedBy as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_ACTOR')),
    );

    it.each(PRIVACY_REQUEST_REJECTION_REASONS.map((reason) => [reason]))(
      'should reject it as %s',
      (reason) =>
        given([opened()])
          .when(aRejectPrivacyRequest({ requestId, tenantId, reason, now }))
          .then([
            {
              type: 'PrivacyRequestRejected',
              data: {
                requestId,
                tenantId,
                reason,
                rejectedAt: now.toISOString(),
                rejectedBy: actor,
              },
            },
          ]),
    );

    it('should be Rejected once rejected, with its reason', () =>
      given([opened()])
        .when(aRejectPrivacyRequest({ requestId, tenantId, reason: 'duplicate' }))
        .thenStateMatches({ status: 'Rejected', reason: 'duplicate' }));

    it.each<[string, unknown]>([
      ['unknown', 'too_busy'],
      ['in capitals', 'DUPLICATE'],
      ['an inherited name', 'constructor'],
      ['missing', undefined],
    ])('should refuse a rejection reason that is %s', (_, reason) =>
      given([opened()])
        .when(aRejectPrivacyRequest({ requestId, tenantId, reason: reason as 'duplicate' }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_REJECTION_REASON')),
    );

    it.each(invalidActors)('should refuse a rejecting actor that is %s', (_, rejectedBy) =>
      given([opened()])
        .when(aRejectPrivacyRequest({ requestId, tenantId, rejectedBy: rejectedBy as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_ACTOR')),
    );

    it('should extend a GDPR request by two months', () =>
      given([opened()])
        .when(anExtendPrivacyRequest({ requestId, tenantId, reason: 'many_requests', now }))
        .then([
          {
            type: 'PrivacyRequestExtended',
            data: {
              requestId,
              tenantId,
              dueAt: gdprExtendedDueAt,
              extendedAt: now.toISOString(),
              extendedBy: actor,
              reason: 'many_requests',
            },
          },
        ]));

    it('should extend a GDPR request received on Jan 31 from its original deadline', () =>
      given([opened({ receivedAt: '2025-01-31T10:00:00.000Z', dueAt: '2025-02-28T10:00:00.000Z' })])
        .when(anExtendPrivacyRequest({ requestId, tenantId, now: at('2025-02-10T10:00:00.000Z') }))
        .thenStateMatches({ status: 'Open', dueAt: '2025-04-28T10:00:00.000Z', extended: true }));

    it('should extend a CCPA request by 45 days', () =>
      given([opened({ regulation: 'ccpa' })])
        .when(anExtendPrivacyRequest({ requestId, tenantId, now }))
        .thenStateMatches({ status: 'Open', dueAt: '2025-04-01T10:00:00.000Z', extended: true }));

    it('should extend it at the very deadline', () =>
      given([opened()])
        .when(anExtendPrivacyRequest({ requestId, tenantId, now: at(gdprDueAt) }))
        .thenStateMatches({ status: 'Open', dueAt: gdprExtendedDueAt, extended: true }));

    it('should not extend it once the deadline has passed', () =>
      given([opened()])
        .when(
          anExtendPrivacyRequest({
            requestId,
            tenantId,
            now: new Date(at(gdprDueAt).getTime() + 1),
          }),
        )
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_OVERDUE')));

    it.each(invalidCodes)('should refuse an extension reason that is %s', (_, reason) =>
      given([opened()])
        .when(anExtendPrivacyRequest({ requestId, tenantId, reason: reason as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_EXTENSION_REASON')),
    );

    it.each(invalidActors)('should refuse an extending actor that is %s', (_, extendedBy) =>
      given([opened()])
        .when(anExtendPrivacyRequest({ requestId, tenantId, extendedBy: extendedBy as string }))
        .thenThrows(PrivacyRequestError, withCode('INVALID_ACTOR')),
    );
  });

  describe('When extended', () => {
    it('should not extend it twice', () =>
      given([opened(), extended()])
        .when(anExtendPrivacyRequest({ requestId, tenantId }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_ALREADY_EXTENDED')));

    it('should not extend it twice, even with an invalid reason', () =>
      given([opened(), extended()])
        .when(anExtendPrivacyRequest({ requestId, tenantId, reason: '' }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_ALREADY_EXTENDED')));

    it('should complete it and keep its extended deadline', () =>
      given([opened(), extended()])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: 'erased' }))
        .thenStateMatches({
          status: 'Completed',
          outcome: 'erased',
          dueAt: gdprExtendedDueAt,
          extended: true,
        }));

    it('should reject it', () =>
      given([opened(), extended()])
        .when(aRejectPrivacyRequest({ requestId, tenantId, reason: 'withdrawn' }))
        .thenStateMatches({ status: 'Rejected', reason: 'withdrawn', extended: true }));

    it('should record nothing when the same opening is retried', () =>
      given([opened(), extended()])
        .when(anOpenPrivacyRequest({ requestId, tenantId }))
        .thenNothing());
  });

  describe('When completed', () => {
    it('should record nothing when completed again with the same outcome', () =>
      given([opened(), completed('erased')])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: 'erased' }))
        .thenNothing());

    it('should record nothing when completed again with the same outcome by someone else', () =>
      given([opened(), completed('erased')])
        .when(
          aCompletePrivacyRequest({ requestId, tenantId, outcome: 'erased', completedBy: 'x:y' }),
        )
        .thenNothing());

    it('should not complete it again with another outcome', () =>
      given([opened(), completed('erased')])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: 'restricted' }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_CLOSED')));

    it('should not complete it again with an invalid outcome', () =>
      given([opened(), completed('erased')])
        .when(aCompletePrivacyRequest({ requestId, tenantId, outcome: 'Erased!' }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_CLOSED')));

    it.each<[string, () => PrivacyRequestCommand]>([
      ['reject', () => aRejectPrivacyRequest({ requestId, tenantId })],
      ['extend', () => anExtendPrivacyRequest({ requestId, tenantId })],
    ])('should not %s it', (_, command) =>
      given([opened(), completed()])
        .when(command())
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_CLOSED')),
    );

    it('should record nothing when the same opening is retried', () =>
      given([opened(), completed()])
        .when(anOpenPrivacyRequest({ requestId, tenantId }))
        .thenNothing());

    it('should not open it again with other data', () =>
      given([opened(), completed()])
        .when(anOpenPrivacyRequest({ requestId, tenantId, kind: 'access' }))
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_ALREADY_EXISTS')));
  });

  describe('When rejected', () => {
    it.each<[string, () => PrivacyRequestCommand]>([
      ['complete', () => aCompletePrivacyRequest({ requestId, tenantId })],
      [
        'reject again, even for the same reason',
        () => aRejectPrivacyRequest({ requestId, tenantId }),
      ],
      ['extend', () => anExtendPrivacyRequest({ requestId, tenantId })],
    ])('should not %s it', (_, command) =>
      given([opened(), rejected()])
        .when(command())
        .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_CLOSED')),
    );

    it('should stay Rejected', () =>
      given([opened(), rejected()])
        .when(anOpenPrivacyRequest({ requestId, tenantId }))
        .thenStateMatches({ status: 'Rejected', reason: 'identity_not_verified' }));
  });

  describe('When owned by another tenant', () => {
    const histories: Array<[string, () => PrivacyRequestEvent[]]> = [
      ['open', () => [opened()]],
      ['extended', () => [opened(), extended()]],
      ['completed', () => [opened(), completed()]],
      ['rejected', () => [opened(), rejected()]],
    ];
    const commands: Array<[string, () => PrivacyRequestCommand]> = [
      ['complete', () => aCompletePrivacyRequest({ requestId, tenantId: otherTenantId })],
      [
        'complete with an invalid outcome',
        () => aCompletePrivacyRequest({ requestId, tenantId: otherTenantId, outcome: '' }),
      ],
      ['reject', () => aRejectPrivacyRequest({ requestId, tenantId: otherTenantId })],
      ['extend', () => anExtendPrivacyRequest({ requestId, tenantId: otherTenantId })],
    ];

    it.each(
      histories.flatMap(([state, history]) =>
        commands.map(([name, command]) => [state, name, history, command] as const),
      ),
    )(
      'should not let it see an %s request: %s is PRIVACY_REQUEST_NOT_FOUND',
      (_state, _name, history, command) =>
        given(history())
          .when(command())
          .thenThrows(PrivacyRequestError, withCode('PRIVACY_REQUEST_NOT_FOUND')),
    );
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events: PrivacyRequestEvent[] = [opened(), extended(), completed()];
      const roundTripped = JSON.parse(JSON.stringify(events)) as PrivacyRequestEvent[];
      expect(evolveAll(privacyRequestDecider, roundTripped)).toEqual(
        evolveAll(privacyRequestDecider, events),
      );
    });

    it('should produce events that survive JSON', () => {
      const produced = privacyRequestDecider.decide(
        anOpenPrivacyRequest({ requestId, tenantId }),
        privacyRequestDecider.initialState(),
      );
      expect(JSON.parse(JSON.stringify(produced))).toEqual(produced);
    });

    it.each<[string, () => PrivacyRequestEvent[]]>([
      ['a completion before the request exists', () => [completed()]],
      ['a rejection before the request exists', () => [rejected()]],
      ['an extension before the request exists', () => [extended()]],
    ])('should ignore %s', (_, events) =>
      expect(evolveAll(privacyRequestDecider, events())).toEqual({ status: 'Empty' }),
    );

    it('should ignore a second opening', () =>
      expect(
        evolveAll(privacyRequestDecider, [opened({ kind: 'access' }), opened({ kind: 'erasure' })]),
      ).toMatchObject({ status: 'Open', kind: 'access' }));

    it('should ignore a second extension', () =>
      expect(
        evolveAll(privacyRequestDecider, [
          opened(),
          extended(),
          aPrivacyRequestExtended({ requestId, tenantId, dueAt: '2030-01-01T00:00:00.000Z' }),
        ]),
      ).toMatchObject({ status: 'Open', dueAt: gdprExtendedDueAt, extended: true }));

    it.each<[string, () => PrivacyRequestEvent[], object]>([
      [
        'a completion after a rejection',
        () => [opened(), rejected(), completed()],
        { status: 'Rejected' },
      ],
      [
        'a rejection after a completion',
        () => [opened(), completed(), rejected()],
        { status: 'Completed' },
      ],
      [
        'an extension after a completion',
        () => [opened(), completed(), extended()],
        { status: 'Completed', dueAt: gdprDueAt, extended: false },
      ],
    ])('should ignore %s', (_, events, expected) =>
      expect(evolveAll(privacyRequestDecider, events())).toMatchObject(expected),
    );
  });

  describe('When given a command it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        privacyRequestDecider.decide(
          { type: 'ReopenPrivacyRequest' } as unknown as PrivacyRequestCommand,
          privacyRequestDecider.initialState(),
        ),
      ).toThrow('Unknown privacy request command: ReopenPrivacyRequest'));
  });

  describe('When given an event it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        privacyRequestDecider.evolve(privacyRequestDecider.initialState(), {
          type: 'PrivacyRequestReopened',
        } as unknown as PrivacyRequestEvent),
      ).toThrow('Unknown privacy request event: PrivacyRequestReopened'));
  });

  describe('Errors', () => {
    it('should be domain errors with a code and a kind', () => {
      const error = new PrivacyRequestError('PRIVACY_REQUEST_NOT_FOUND');
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'PrivacyRequestError',
        code: 'PRIVACY_REQUEST_NOT_FOUND',
        kind: 'NOT_FOUND',
      });
    });

    it.each<[PrivacyRequestErrorCode, string]>([
      ['PRIVACY_REQUEST_NOT_FOUND', 'NOT_FOUND'],
      ['PRIVACY_REQUEST_ALREADY_EXISTS', 'CONFLICT'],
      ['PRIVACY_REQUEST_CLOSED', 'CONFLICT'],
      ['PRIVACY_REQUEST_ALREADY_EXTENDED', 'CONFLICT'],
      ['PRIVACY_REQUEST_OVERDUE', 'CONFLICT'],
      ['INVALID_RECEIVED_AT', 'BAD_USER_INPUT'],
    ])('should map %s to %s', (code, kind) =>
      expect(new PrivacyRequestError(code).kind).toBe(kind),
    );

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(privacyRequestErrorKinds).filter(([code]) =>
        code.startsWith('INVALID_'),
      );
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
    });
  });

  describe('Personal data', () => {
    it('should declare no event of its own as holding personal data', () =>
      expect(Object.keys(PERSONAL_DATA).filter(isPrivacyRequestEventType)).toEqual([]));

    it('should know exactly the kinds, regulations and subjects of the brief', () => {
      expect(PRIVACY_REQUEST_KINDS).toEqual([
        'access',
        'portability',
        'rectification',
        'erasure',
        'restriction',
        'objection',
        'child',
      ]);
      expect(PRIVACY_REGULATIONS).toEqual(['gdpr', 'ccpa']);
      expect(PRIVACY_SUBJECT_TYPES).toEqual(['recipient', 'account']);
    });
  });

  describe('Streams', () => {
    it('should name its stream privacyrequest-<id>', () => {
      expect(PRIVACY_REQUEST_STREAM_CATEGORY).toBe('privacyrequest');
      expect(toPrivacyRequestStreamId(requestId)).toBe(`privacyrequest-${requestId}`);
    });

    it('should list its event types', () =>
      expect([...PRIVACY_REQUEST_EVENT_TYPES].sort()).toEqual([
        'PrivacyRequestCompleted',
        'PrivacyRequestExtended',
        'PrivacyRequestOpened',
        'PrivacyRequestRejected',
      ]));

    it.each([...PRIVACY_REQUEST_EVENT_TYPES])('should recognise %s as its own', (type) =>
      expect(isPrivacyRequestEventType(type)).toBe(true),
    );

    it.each([['RecipientErased'], ['toString'], ['']])('should not recognise %p', (type) =>
      expect(isPrivacyRequestEventType(type)).toBe(false),
    );
  });
});
