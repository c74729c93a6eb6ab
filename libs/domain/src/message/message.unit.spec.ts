import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  MESSAGE_EVENT_TYPES,
  MessageError,
  bounceKindOf,
  evolveAll,
  messageDecider,
  toMessageStreamId,
  type MessageCommand,
  type MessageErrorCode,
  type MessageEvent,
} from '#domain';

import { defaultCampaignTenantId } from '../../../testing/src/builders/campaign.builders.js';
import { aNow, anId, minutesAfter } from '../../../testing/src/builders/common.builders.js';
import {
  aMessageBounced,
  aMessageClaimed,
  aMessageComplained,
  aMessageQueued,
  aRecordBounce,
  aRecordComplaint,
} from '../../../testing/src/builders/message.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(messageDecider);

const withCode = (code: MessageErrorCode) => (error: MessageError) => error.code === code;

describe('Message', () => {
  const now = aNow();
  const tenantId = defaultCampaignTenantId;
  const LEASE_MS = 60_000;
  let messageId: string;
  let campaignId: string;
  let recipientId: string;
  let listId: string;

  beforeEach(() => {
    messageId = anId();
    campaignId = anId();
    recipientId = anId();
    listId = anId();
  });

  const ids = () => ({ messageId, campaignId, tenantId });
  const queued = () => aMessageQueued({ ...ids(), recipientId, listId });
  const claimed = (over: { workerId?: string; attempt?: number; at?: Date } = {}) => {
    const at = over.at ?? now;
    return aMessageClaimed({
      ...ids(),
      workerId: over.workerId ?? 'worker-1',
      attempt: over.attempt ?? 1,
      claimedAt: at.toISOString(),
      leaseUntil: new Date(at.getTime() + LEASE_MS).toISOString(),
    });
  };
  const deferred = (nextAttemptAt: Date, attempt = 1): MessageEvent => ({
    type: 'MessageDeferred',
    data: {
      ...ids(),
      smtpReply: '451 4.7.1 Try again later',
      attempt,
      nextAttemptAt: nextAttemptAt.toISOString(),
      deferredAt: now.toISOString(),
    },
  });
  const sentEvent = (): MessageEvent => ({
    type: 'MessageSent',
    data: { ...ids(), smtpReply: '250 2.0.0 OK', sentAt: now.toISOString() },
  });
  const bouncedEvent = (): MessageEvent => ({
    type: 'MessageBounced',
    data: {
      ...ids(),
      smtpReply: '550 5.1.1 No such user',
      status: '5.1.1',
      kind: 'hard',
      source: 'smtp',
      at: now.toISOString(),
    },
  });
  const failedEvent = (): MessageEvent => ({
    type: 'MessageFailed',
    data: { ...ids(), reason: 'retry window expired', at: now.toISOString() },
  });
  const cancelledEvent = (): MessageEvent => ({
    type: 'MessageCancelled',
    data: { ...ids(), reason: 'campaign_cancelled', at: now.toISOString() },
  });

  // ── Commands ──
  const queue = (over: Partial<Extract<MessageCommand, { type: 'QueueMessage' }>['data']> = {}) =>
    ({
      type: 'QueueMessage',
      data: { messageId, tenantId, campaignId, recipientId, listId, template: null, ...over },
      metadata: { now },
    }) as const satisfies MessageCommand;
  const claim = (at = now, workerId = 'worker-1', leaseMs = LEASE_MS): MessageCommand => ({
    type: 'ClaimMessage',
    data: { messageId, tenantId, workerId, leaseMs },
    metadata: { now: at },
  });
  const recordSent = (workerId = 'worker-1', smtpReply = '250 2.0.0 OK'): MessageCommand => ({
    type: 'RecordMessageSent',
    data: { messageId, tenantId, workerId, smtpReply },
    metadata: { now },
  });
  const defer = (nextAttemptAt: Date, workerId = 'worker-1'): MessageCommand => ({
    type: 'DeferMessage',
    data: { messageId, tenantId, workerId, smtpReply: '451 4.7.1 Try again later', nextAttemptAt },
    metadata: { now },
  });
  const bounce = (status: string | null = '5.1.1', smtpReply = '550 5.1.1 No such user') =>
    ({
      type: 'BounceMessage',
      data: { messageId, tenantId, workerId: 'worker-1', smtpReply, status },
      metadata: { now },
    }) as const satisfies MessageCommand;
  const fail = (workerId: string | null = 'worker-1', reason = 'retry window expired') =>
    ({
      type: 'FailMessage',
      data: { messageId, tenantId, workerId, reason },
      metadata: { now },
    }) as const satisfies MessageCommand;
  const cancel = (reason: 'campaign_cancelled' | 'recipient_excluded' = 'campaign_cancelled') =>
    ({
      type: 'CancelMessage',
      data: { messageId, tenantId, reason },
      metadata: { now },
    }) as const satisfies MessageCommand;

  describe('When it does not exist yet', () => {
    it('should queue it with its ids and template revision', () => {
      const template = { templateId: anId(), revision: 2 };
      given([])
        .when(queue({ template }))
        .then([
          {
            type: 'MessageQueued',
            data: {
              messageId,
              campaignId,
              tenantId,
              recipientId,
              listId,
              template,
              queuedAt: now.toISOString(),
            },
          },
        ]);
    });

    it('should be Queued with no attempt yet', () =>
      given([]).when(queue()).thenStateMatches({ status: 'Queued', attempts: 0, recipientId }));

    it('should refuse ids that are not UUIDs', () =>
      given([])
        .when(queue({ recipientId: 'ada@example.org' }))
        .thenThrows(MessageError, withCode('INVALID_MESSAGE')));

    it('should refuse a broken template reference', () =>
      given([])
        .when(queue({ template: { templateId: anId(), revision: 0 } }))
        .thenThrows(MessageError, withCode('INVALID_MESSAGE')));

    it.each<[string, () => MessageCommand]>([
      ['claimed', () => claim()],
      ['recorded as sent', () => recordSent()],
      ['cancelled', () => cancel()],
      ['failed', () => fail(null)],
    ])('should not be %s', (_, command) =>
      given([]).when(command()).thenThrows(MessageError, withCode('MESSAGE_NOT_FOUND')),
    );
  });

  describe('When queued', () => {
    it('should record nothing when queued again (a restarted launch)', () =>
      given([queued()]).when(queue()).thenNothing());

    it('should refuse another message under the same id', () =>
      given([queued()])
        .when(queue({ recipientId: anId() }))
        .thenThrows(MessageError, withCode('MESSAGE_ALREADY_QUEUED')));

    it('should be claimed for one attempt with a lease', () =>
      given([queued()])
        .when(claim())
        .then([
          {
            type: 'MessageClaimed',
            data: {
              ...ids(),
              workerId: 'worker-1',
              attempt: 1,
              claimedAt: now.toISOString(),
              leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString(),
              expiredClaim: null,
            },
          },
        ]));

    it.each([[0], [-1], [1.5], [60 * 60 * 1000 + 1]])('should refuse a lease of %p ms', (ms) =>
      given([queued()])
        .when(claim(now, 'worker-1', ms))
        .thenThrows(MessageError, withCode('INVALID_LEASE')),
    );

    it('should refuse a claim without a worker id', () =>
      given([queued()])
        .when(claim(now, '  '))
        .thenThrows(MessageError, withCode('INVALID_WORKER_ID')));

    it('should be cancelled', () => given([queued()]).when(cancel()).then([cancelledEvent()]));

    it('should be cancelled because the recipient is excluded', () =>
      given([queued()])
        .when(cancel('recipient_excluded'))
        .thenStateMatches({ status: 'Cancelled', reason: 'recipient_excluded' }));

    it('should refuse an unknown cancel reason', () =>
      given([queued()])
        .when(cancel('bored' as never))
        .thenThrows(MessageError, withCode('INVALID_CANCEL_REASON')));

    it.each<[string, () => MessageCommand]>([
      ['recorded as sent', () => recordSent()],
      ['deferred', () => defer(minutesAfter(now, 5))],
      ['bounced', () => bounce()],
      ['failed', () => fail()],
    ])('should not be %s before a claim', (_, command) =>
      given([queued()]).when(command()).thenThrows(MessageError, withCode('MESSAGE_NOT_CLAIMED')),
    );

    it('should not let another tenant touch it', () =>
      given([queued()])
        .when({ ...cancel(), data: { ...cancel().data, tenantId: anId() } })
        .thenThrows(MessageError, withCode('MESSAGE_NOT_FOUND')));
  });

  describe('When claimed', () => {
    it('should refuse another claim while the lease runs', () =>
      given([queued(), claimed()])
        .when(claim(minutesAfter(now, 0.5), 'worker-2'))
        .thenThrows(MessageError, withCode('MESSAGE_CLAIMED')));

    it('should let the lease be taken over once expired, and record the duplicate window', () =>
      given([queued(), claimed()])
        .when(claim(minutesAfter(now, 2), 'worker-2'))
        .then([
          {
            type: 'MessageClaimed',
            data: {
              ...ids(),
              workerId: 'worker-2',
              attempt: 2,
              claimedAt: minutesAfter(now, 2).toISOString(),
              leaseUntil: new Date(minutesAfter(now, 2).getTime() + LEASE_MS).toISOString(),
              expiredClaim: {
                workerId: 'worker-1',
                attempt: 1,
                claimedAt: now.toISOString(),
                leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString(),
              },
            },
          },
        ]));

    it('should record it as sent, with the SMTP reply', () =>
      given([queued(), claimed()]).when(recordSent()).then([sentEvent()]));

    it('should blank any address the SMTP reply quotes, and keep it on one line', () =>
      given([queued(), claimed()])
        .when(recordSent('worker-1', '250 2.0.0 OK queued\r\n for <Ada.Lovelace@example.org>'))
        .then([
          {
            type: 'MessageSent',
            data: {
              ...ids(),
              smtpReply: '250 2.0.0 OK queued for <[address]>',
              sentAt: now.toISOString(),
            },
          },
        ]));

    it('should refuse an empty SMTP reply', () =>
      given([queued(), claimed()])
        .when(recordSent('worker-1', ' \n '))
        .thenThrows(MessageError, withCode('INVALID_SMTP_REPLY')));

    it('should refuse an outcome from a worker that does not hold the claim', () =>
      given([queued(), claimed()])
        .when(recordSent('worker-2'))
        .thenThrows(MessageError, withCode('CLAIM_NOT_HELD')));

    it('should defer it to a later attempt', () =>
      given([queued(), claimed()])
        .when(defer(minutesAfter(now, 5)))
        .then([deferred(minutesAfter(now, 5))]));

    it('should refuse a next attempt that is not in the future', () =>
      given([queued(), claimed()])
        .when(defer(now))
        .thenThrows(MessageError, withCode('INVALID_NEXT_ATTEMPT')));

    it('should bounce it with its enhanced status', () =>
      given([queued(), claimed()]).when(bounce()).then([bouncedEvent()]));

    it('should bounce it without an enhanced status', () =>
      given([queued(), claimed()])
        .when(bounce(null, '550 No'))
        .thenStateMatches({ status: 'Bounced' }));

    it('should refuse a bounce status that is not RFC 3463', () =>
      given([queued(), claimed()])
        .when(bounce('five'))
        .thenThrows(MessageError, withCode('INVALID_BOUNCE_STATUS')));

    it('should fail it', () => given([queued(), claimed()]).when(fail()).then([failedEvent()]));

    it('should refuse a failure without a reason', () =>
      given([queued(), claimed()])
        .when(fail('worker-1', ' '))
        .thenThrows(MessageError, withCode('INVALID_FAILURE_REASON')));

    it('should not be cancelled in the middle of its SMTP transaction', () =>
      given([queued(), claimed()])
        .when(cancel())
        .thenThrows(MessageError, withCode('MESSAGE_CLAIMED')));
  });

  describe('When deferred', () => {
    const later = () => minutesAfter(now, 5);

    it('should refuse a claim before its next attempt', () =>
      given([queued(), claimed(), deferred(later())])
        .when(claim(minutesAfter(now, 4)))
        .thenThrows(MessageError, withCode('MESSAGE_NOT_DUE')));

    it('should be claimed again for the next attempt once due', () =>
      given([queued(), claimed(), deferred(later())])
        .when(claim(later()))
        .thenStateMatches({ status: 'Claimed', attempts: 2 }));

    it('should fail once its retry window is over, with no claim', () =>
      given([queued(), claimed(), deferred(later())])
        .when(fail(null))
        .then([failedEvent()]));

    it('should be cancelled', () =>
      given([queued(), claimed(), deferred(later())])
        .when(cancel())
        .then([cancelledEvent()]));
  });

  describe('When finished', () => {
    const finals: Array<[string, () => MessageEvent[]]> = [
      ['sent', () => [queued(), claimed(), sentEvent()]],
      ['bounced', () => [queued(), claimed(), bouncedEvent()]],
      ['failed', () => [queued(), claimed(), failedEvent()]],
    ];

    it.each(finals)('should not claim a %s message again', (_, history) =>
      given(history())
        .when(claim(minutesAfter(now, 10)))
        .thenThrows(MessageError, withCode('MESSAGE_FINISHED')),
    );

    it.each(finals)('should not cancel a %s message', (_, history) =>
      given(history()).when(cancel()).thenThrows(MessageError, withCode('MESSAGE_FINISHED')),
    );

    it('should record nothing when a cancelled message is cancelled again', () =>
      given([queued(), cancelledEvent()]).when(cancel()).thenNothing());

    it('should not claim a cancelled message', () =>
      given([queued(), cancelledEvent()])
        .when(claim())
        .thenThrows(MessageError, withCode('MESSAGE_FINISHED')));

    it('should ignore an outcome that arrives after the end', () =>
      expect(evolveAll(messageDecider, [queued(), cancelledEvent(), sentEvent()])).toMatchObject({
        status: 'Cancelled',
      }));
  });

  describe('When its bounce status comes without a kind (SMTP time)', () => {
    it.each<[string | null, string]>([
      ['5.1.1', 'hard'],
      ['5.7.1', 'blocked'],
      ['5.1.7', 'blocked'],
      ['5.2.2', 'soft'],
      [null, 'soft'],
    ])('should derive the kind of %p as %s', (status, kind) =>
      given([queued(), claimed()])
        .when(bounce(status, '550 Refused'))
        .then([
          {
            type: 'MessageBounced',
            data: {
              ...ids(),
              smtpReply: '550 Refused',
              status,
              kind: kind as 'hard',
              source: 'smtp',
              at: now.toISOString(),
            },
          },
        ]),
    );

    it('should keep the kind the delivery worker gives', () =>
      given([queued(), claimed()])
        .when({ ...bounce('5.1.1'), data: { ...bounce('5.1.1').data, kind: 'soft' } })
        .thenStateMatches({ status: 'Bounced', kind: 'soft', source: 'smtp' }));

    it('should refuse a kind it does not know', () =>
      given([queued(), claimed()])
        .when({ ...bounce(), data: { ...bounce().data, kind: 'bouncy' as never } })
        .thenThrows(MessageError, withCode('INVALID_BOUNCE')));
  });

  describe('When sent and a bounce is reported later', () => {
    const sent = () => [queued(), claimed(), sentEvent()];
    const report = (
      over: Partial<Extract<MessageCommand, { type: 'RecordBounce' }>['data']> = {},
    ) => aRecordBounce({ messageId, tenantId, now, ...over });
    const dsnBounced = (): MessageEvent =>
      aMessageBounced({
        ...ids(),
        smtpReply: 'smtp; 550 5.1.1 <[address]>: Recipient address rejected',
        status: '5.1.1',
        kind: 'hard',
        source: 'dsn',
        at: now.toISOString(),
      });

    it('should record it with its kind, source and status, the diagnostic blanked of addresses', () =>
      given(sent())
        .when(
          report({ diagnostic: 'smtp; 550 5.1.1 <ada@example.org>: Recipient address rejected' }),
        )
        .then([dsnBounced()]));

    it('should record a webhook bounce without a diagnostic with a reply of its own', () =>
      given(sent())
        .when(report({ kind: 'soft', status: '5.2.2', diagnostic: null, source: 'webhook' }))
        .then([
          aMessageBounced({
            ...ids(),
            smtpReply: 'webhook: 5.2.2',
            status: '5.2.2',
            kind: 'soft',
            source: 'webhook',
            at: now.toISOString(),
          }),
        ]));

    it('should be Bounced afterwards, with the kind and source of the report', () =>
      given(sent())
        .when(report({ kind: 'blocked', status: '5.7.1' }))
        .thenStateMatches({ status: 'Bounced', kind: 'blocked', source: 'dsn' }));

    it('should record nothing when the same report comes again', () =>
      given([...sent(), dsnBounced()])
        .when(report())
        .thenNothing());

    it('should record nothing for a report about a message that bounced at SMTP time', () =>
      given([queued(), claimed(), bouncedEvent()]).when(report()).thenNothing());

    describe('When a hard bounce follows a softer one', () => {
      const softly = (): MessageEvent =>
        aMessageBounced({
          ...ids(),
          smtpReply: 'smtp; 452 4.2.2 Over quota',
          status: '4.2.2',
          kind: 'soft',
          source: 'dsn',
          at: now.toISOString(),
        });

      it('should record the hard one: the address is gone after all', () =>
        given([...sent(), softly()])
          .when(
            report({
              diagnostic: 'smtp; 550 5.1.1 <ada@example.org>: Recipient address rejected',
            }),
          )
          .then([dsnBounced()]));

      it('should be Bounced hard afterwards', () =>
        given([...sent(), softly(), dsnBounced()])
          .when(report())
          .thenNothing());

      it('should fold to the hard kind', () =>
        given([...sent(), softly()])
          .when(report())
          .thenStateMatches({ status: 'Bounced', kind: 'hard' }));

      it('should record nothing for a softer report after a hard one', () =>
        given([...sent(), dsnBounced()])
          .when(report({ kind: 'soft', status: '4.2.2' }))
          .thenNothing());
    });

    it.each<[string, () => MessageEvent[]]>([
      ['queued', () => [queued()]],
      ['claimed', () => [queued(), claimed()]],
      ['deferred', () => [queued(), claimed(), deferred(minutesAfter(now, 5))]],
      ['failed', () => [queued(), claimed(), failedEvent()]],
      ['cancelled', () => [queued(), cancelledEvent()]],
    ])('should refuse a report about a %s message', (_, history) =>
      given(history()).when(report()).thenThrows(MessageError, withCode('MESSAGE_NOT_SENT')),
    );

    it.each<
      [string, Partial<Extract<MessageCommand, { type: 'RecordBounce' }>['data']>, MessageErrorCode]
    >([
      ['an unknown kind', { kind: 'bouncy' as never }, 'INVALID_BOUNCE'],
      ['the smtp source', { source: 'smtp' as never }, 'INVALID_BOUNCE'],
      ['an unknown source', { source: 'pigeon' as never }, 'INVALID_BOUNCE'],
      ['a diagnostic that is not text', { diagnostic: 42 as never }, 'INVALID_BOUNCE'],
      ['a status that is not RFC 3463', { status: '550' }, 'INVALID_BOUNCE_STATUS'],
    ])('should refuse a report with %s', (_, over, code) =>
      given(sent()).when(report(over)).thenThrows(MessageError, withCode(code)),
    );

    it('should not know a message that was never queued', () =>
      given([]).when(report()).thenThrows(MessageError, withCode('MESSAGE_NOT_FOUND')));

    it('should not let another tenant report on it', () =>
      given(sent())
        .when(report({ tenantId: anId() }))
        .thenThrows(MessageError, withCode('MESSAGE_NOT_FOUND')));
  });

  describe('When sent and the recipient complains', () => {
    const sent = () => [queued(), claimed(), sentEvent()];
    const complaint = (
      over: Partial<Extract<MessageCommand, { type: 'RecordComplaint' }>['data']> = {},
    ) => aRecordComplaint({ messageId, tenantId, now, ...over });
    const complained = (): MessageEvent =>
      aMessageComplained({ ...ids(), feedbackType: 'abuse', source: 'dsn', at: now.toISOString() });

    it('should record the complaint with its feedback type in lower case', () =>
      given(sent())
        .when(complaint({ feedbackType: ' Abuse ' }))
        .then([complained()]));

    it('should stay Sent, with the time of the complaint', () =>
      given(sent()).when(complaint()).thenStateMatches({
        status: 'Sent',
        sentAt: now.toISOString(),
        complainedAt: now.toISOString(),
      }));

    it('should record nothing when the same complaint comes again', () =>
      given([...sent(), complained()])
        .when(complaint({ source: 'webhook' }))
        .thenNothing());

    it('should keep the first complaint time when a second one is folded', () =>
      expect(
        evolveAll(messageDecider, [
          ...sent(),
          complained(),
          aMessageComplained({ ...ids(), at: minutesAfter(now, 5).toISOString() }),
        ]),
      ).toMatchObject({ status: 'Sent', complainedAt: now.toISOString() }));

    it('should refuse a complaint about a bounced message', () =>
      given([queued(), claimed(), bouncedEvent()])
        .when(complaint())
        .thenThrows(MessageError, withCode('MESSAGE_NOT_SENT')));

    it('should refuse a complaint about a queued message', () =>
      given([queued()]).when(complaint()).thenThrows(MessageError, withCode('MESSAGE_NOT_SENT')));

    it.each([[''], ['   '], ['abuse report'], ['x'.repeat(41)], [42]])(
      'should refuse the feedback type %p',
      (feedbackType) =>
        given(sent())
          .when(complaint({ feedbackType: feedbackType as string }))
          .thenThrows(MessageError, withCode('INVALID_COMPLAINT')),
    );

    it('should refuse the smtp source', () =>
      given(sent())
        .when(complaint({ source: 'smtp' as never }))
        .thenThrows(MessageError, withCode('INVALID_COMPLAINT')));

    it('should not let another tenant complain about it', () =>
      given(sent())
        .when(complaint({ tenantId: anId() }))
        .thenThrows(MessageError, withCode('MESSAGE_NOT_FOUND')));
  });

  describe('When bounces are folded', () => {
    it('should make a sent message Bounced on a later DSN bounce', () =>
      expect(
        evolveAll(messageDecider, [
          queued(),
          claimed(),
          sentEvent(),
          aMessageBounced({ ...ids(), kind: 'soft', status: '4.4.7', source: 'dsn' }),
        ]),
      ).toMatchObject({ status: 'Bounced', kind: 'soft', source: 'dsn', at: now.toISOString() }));

    it.each<[string | null, string]>([
      ['5.1.1', 'hard'],
      ['5.2.1', 'hard'],
      ['5.7.1', 'blocked'],
      ['5.1.8', 'blocked'],
      ['5.4.4', 'soft'],
      [null, 'soft'],
    ])(
      'should read a MessageBounced written before kinds (status %p) as %s, from SMTP',
      (status, kind) => {
        const legacy: MessageEvent = {
          type: 'MessageBounced',
          data: { ...ids(), smtpReply: '550 No', status, at: now.toISOString() },
        };
        expect(bounceKindOf(legacy.data)).toBe(kind);
        expect(evolveAll(messageDecider, [queued(), claimed(), legacy])).toMatchObject({
          status: 'Bounced',
          kind,
          source: 'smtp',
        });
      },
    );

    it('should ignore a later bounce once bounced', () =>
      expect(
        evolveAll(messageDecider, [
          queued(),
          claimed(),
          bouncedEvent(),
          aMessageBounced({ ...ids(), kind: 'soft', source: 'dsn' }),
        ]),
      ).toMatchObject({ status: 'Bounced', kind: 'hard', source: 'smtp' }));
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events = [queued(), claimed(), deferred(minutesAfter(now, 5))];
      const roundTripped = JSON.parse(JSON.stringify(events)) as MessageEvent[];
      expect(evolveAll(messageDecider, roundTripped)).toEqual(evolveAll(messageDecider, events));
    });

    it('should name its stream message-<id> and know its event types', () => {
      expect(toMessageStreamId(messageId)).toBe(`message-${messageId}`);
      expect(MESSAGE_EVENT_TYPES).toContain('MessageQueued');
    });

    it('should hold no address in any event', () => {
      const events = [queued(), claimed(), sentEvent(), bouncedEvent(), failedEvent()];
      expect(JSON.stringify(events)).not.toMatch(/@/);
    });
  });

  describe('When given a command it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        messageDecider.decide(
          { type: 'ResendMessage' } as unknown as MessageCommand,
          messageDecider.initialState(),
        ),
      ).toThrow('Unknown message command: ResendMessage'));
  });

  describe('Errors', () => {
    it.each<[MessageErrorCode, string]>([
      ['MESSAGE_NOT_FOUND', 'NOT_FOUND'],
      ['MESSAGE_CLAIMED', 'CONFLICT'],
      ['CLAIM_NOT_HELD', 'CONFLICT'],
      ['INVALID_LEASE', 'BAD_USER_INPUT'],
    ])('should map %s to %s', (code, kind) => expect(new MessageError(code).kind).toBe(kind));
  });
});
