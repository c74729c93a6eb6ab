import { describe, it } from '@jest/globals';

import {
  RecipientError,
  suppressionDecider,
  type AddressSuppressed,
  type AddressSuppressionLifted,
  type LiftSuppression,
  type SuppressAddress,
} from '#domain';
import { aNow, anId } from '../../../testing/src/builders/common.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(suppressionDecider);

describe('Suppression', () => {
  const now = aNow();
  const suppressionId = anId();
  const tenantId = anId();
  const emailIndex = 'ab'.repeat(32);
  const suppress = (index = emailIndex): SuppressAddress => ({
    type: 'SuppressAddress',
    data: { suppressionId, tenantId, emailIndex: index },
    metadata: { now },
  });
  const suppressed: AddressSuppressed = {
    type: 'AddressSuppressed',
    data: {
      suppressionId,
      tenantId,
      emailIndex,
      reason: 'manual',
      suppressedAt: now.toISOString(),
    },
  };

  describe('When the address is not suppressed yet', () => {
    it('should suppress it manually', () => given([]).when(suppress()).then([suppressed]));

    it('should refuse anything but a keyed index', () =>
      given([])
        .when(suppress('ada@example.org'))
        .thenThrows(RecipientError, (e) => e.code === 'INVALID_EMAIL'));
  });

  describe('When the delivery policy suppresses it', () => {
    const messageId = anId();
    const recipientId = anId();
    const byPolicy = (
      reason: SuppressAddress['data']['reason'],
      over: Partial<SuppressAddress['data']> = {},
    ): SuppressAddress => ({
      type: 'SuppressAddress',
      data: { suppressionId, tenantId, emailIndex, reason, messageId, recipientId, ...over },
      metadata: { now },
    });

    it.each([['hard_bounce'], ['complaint'], ['soft_bounces']] as const)(
      'should record the reason %s and the message that caused it',
      (reason) =>
        given([])
          .when(byPolicy(reason))
          .then([
            {
              type: 'AddressSuppressed',
              data: {
                suppressionId,
                tenantId,
                emailIndex,
                reason,
                messageId,
                recipientId,
                suppressedAt: now.toISOString(),
              },
            },
          ]),
    );

    it('should record a null message and recipient when none is given', () =>
      given([])
        .when(byPolicy('hard_bounce', { messageId: undefined, recipientId: undefined }))
        .then([
          {
            type: 'AddressSuppressed',
            data: {
              suppressionId,
              tenantId,
              emailIndex,
              reason: 'hard_bounce',
              messageId: null,
              recipientId: null,
              suppressedAt: now.toISOString(),
            },
          },
        ]));

    it('should leave the message out of a manual suppression', () =>
      given([]).when(byPolicy('manual')).then([suppressed]));

    it('should suppress manually when no reason is given, without a message', () =>
      given([]).when(byPolicy(undefined)).then([suppressed]));

    it('should refuse a reason it does not know', () =>
      given([])
        .when(byPolicy('bored' as never))
        .thenThrows(RecipientError, (e) => e.code === 'INVALID_REFERENCE'));

    it('should record nothing when suppressed already', () =>
      given([{ ...suppressed, data: { ...suppressed.data, reason: 'hard_bounce', messageId } }])
        .when(byPolicy('hard_bounce', { messageId: anId() }))
        .thenNothing());
  });

  describe('When it is suppressed already', () => {
    it('should record nothing', () => given([suppressed]).when(suppress()).thenNothing());
  });

  describe('When the manual suppression is lifted', () => {
    const lift = (reference?: string | null): LiftSuppression => ({
      type: 'LiftSuppression',
      data: { suppressionId, tenantId, emailIndex, reference },
      metadata: { now },
    });
    const lifted: AddressSuppressionLifted = {
      type: 'AddressSuppressionLifted',
      data: {
        suppressionId,
        tenantId,
        emailIndex,
        reference: 'TICKET-7',
        liftedAt: now.toISOString(),
      },
    };

    it('should record the lift with its reference, trimmed', () =>
      given([suppressed]).when(lift('  TICKET-7 ')).then([lifted]));

    it('should record nothing when it was lifted already', () =>
      given([suppressed, lifted]).when(lift()).thenNothing());

    it('should refuse an address that was never suppressed by hand', () =>
      given([])
        .when(lift())
        .thenThrows(RecipientError, (e) => e.code === 'SUPPRESSION_NOT_FOUND'));

    it.each([[''], ['   '], ['two\nlines'], ['x'.repeat(201)]])(
      'should refuse the reference %j',
      (reference) =>
        given([suppressed])
          .when(lift(reference))
          .thenThrows(RecipientError, (e) => e.code === 'INVALID_REFERENCE'),
    );

    it('should suppress the address again when asked after the lift', () =>
      given([suppressed, lifted])
        .when(suppress())
        .thenStateMatches({ status: 'Suppressed', suppressedAt: now.toISOString() }));

    it('should be Lifted afterwards', () =>
      given([suppressed])
        .when(lift())
        .thenStateMatches({ status: 'Lifted', liftedAt: now.toISOString() }));
  });
});
