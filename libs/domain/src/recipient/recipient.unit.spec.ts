import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  CONSENT_SOURCES,
  DOMAIN_ERROR_KINDS,
  DomainError,
  ERASURE_BASES,
  RECIPIENT_EVENT_TYPES,
  RECIPIENT_LIMITS,
  RECIPIENT_STREAM_CATEGORY,
  RecipientError,
  evolveAll,
  isRecipientEventType,
  isSendable,
  recipientDecider,
  recipientErrorKinds,
  toRecipientStreamId,
  type ActiveRecipient,
  type ConsentEvidence,
  type ErasureBasis,
  type Membership,
  type Recipient,
  type RecipientAdded,
  type RecipientAttributes,
  type RecipientCommand,
  type RecipientErased,
  type RecipientErrorCode,
  type RecipientEvent,
} from '#domain';

import {
  aNow,
  anId,
  daysAfter,
  minutesAfter,
} from '../../../testing/src/builders/common.builders.js';
import {
  aConfirmOptIn,
  aConsent,
  aCorrectRecipient,
  aMembership,
  aFakeEmailIndex,
  aLiftRestriction,
  aRecipientAdded,
  aRecipientCorrected,
  aRecipientErased,
  aRecipientObjected,
  aRecipientRestricted,
  aRecipientRestrictionLifted,
  aRecipientSubscribed,
  aRecipientUnsubscribed,
  aRequestOptIn,
  aRestrictRecipient,
  aSubscribeRecipient,
  anAddRecipient,
  anEmailInput,
  anEraseRecipient,
  anImportRecipient,
  anObjectToProcessing,
  anOptInConfirmed,
  anOptInRequested,
  anUnsubscribeRecipient,
  defaultRecipientEmail,
  defaultRecipientTenantId,
} from '../../../testing/src/builders/recipient.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(recipientDecider);

const withCode = (code: RecipientErrorCode) => (error: RecipientError) => error.code === code;

const stateAfter = (events: readonly RecipientEvent[]): Recipient =>
  evolveAll(recipientDecider, events);

describe('Recipient', () => {
  const now = aNow();
  const at = now.toISOString();
  const tenantId = defaultRecipientTenantId;
  const otherTenantId = anId();
  const emailIndex = aFakeEmailIndex(defaultRecipientEmail);
  let recipientId: string;
  let listId: string;
  let otherListId: string;
  let requestId: string;

  beforeEach(() => {
    recipientId = anId();
    listId = anId();
    otherListId = anId();
    requestId = anId();
  });

  // ── This test's recipient, as events ─────────────────────────────────────────────────────────

  const added = (overrides: Partial<RecipientAdded['data']> = {}) =>
    aRecipientAdded({ recipientId, tenantId, ...overrides });
  const subscribed = (list = listId) =>
    aRecipientSubscribed({ recipientId, tenantId, listId: list });
  const optInRequested = (request = requestId, list = listId) =>
    anOptInRequested({ recipientId, tenantId, listId: list, requestId: request });
  const optInConfirmed = (request = requestId, list = listId) =>
    anOptInConfirmed({ recipientId, tenantId, listId: list, requestId: request });
  const unsubscribed = (list: string | null = listId) =>
    aRecipientUnsubscribed({ recipientId, tenantId, listId: list });
  const restricted = () => aRecipientRestricted({ recipientId, tenantId });
  const restrictionLifted = () => aRecipientRestrictionLifted({ recipientId, tenantId });
  const objected = () => aRecipientObjected({ recipientId, tenantId });
  const erased = (overrides: Partial<RecipientErased['data']> = {}) =>
    aRecipientErased({ recipientId, tenantId, ...overrides });

  // ── This test's recipient, as commands of each kind (for the tables below) ────────────────────

  const everyCommandButAdd = (tenant = tenantId): Array<[string, () => RecipientCommand]> => [
    ['ImportRecipient', () => anImportRecipient({ recipientId, tenantId: tenant, listId })],
    ['CorrectRecipient', () => aCorrectRecipient({ recipientId, tenantId: tenant })],
    ['SubscribeRecipient', () => aSubscribeRecipient({ recipientId, tenantId: tenant, listId })],
    ['RequestOptIn', () => aRequestOptIn({ recipientId, tenantId: tenant, listId })],
    ['ConfirmOptIn', () => aConfirmOptIn({ recipientId, tenantId: tenant, listId, requestId })],
    [
      'UnsubscribeRecipient (one list)',
      () => anUnsubscribeRecipient({ recipientId, tenantId: tenant, listId }),
    ],
    [
      'UnsubscribeRecipient (every list)',
      () => anUnsubscribeRecipient({ recipientId, tenantId: tenant, listId: null }),
    ],
    ['RestrictRecipient', () => aRestrictRecipient({ recipientId, tenantId: tenant })],
    ['LiftRestriction', () => aLiftRestriction({ recipientId, tenantId: tenant })],
    ['ObjectToProcessing', () => anObjectToProcessing({ recipientId, tenantId: tenant })],
  ];

  // ── Invalid input, shared by the commands that take it ───────────────────────────────────────

  const invalidNames: Array<[string, unknown]> = [
    ['too long', 'x'.repeat(RECIPIENT_LIMITS.nameMaxLength + 1)],
    ['on two lines (line feed)', 'Ada\nBcc: victim@example.com'],
    ['on two lines (carriage return)', 'Ada\rLovelace'],
    ['holding a control character', 'Ada\u0007Lovelace'],
    ['holding DEL', 'Ada\u007fLovelace'],
    ['not a string', 42],
  ];

  const manyAttributes = (count: number): RecipientAttributes =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`attribute${i}`, i]));

  const invalidAttributes: Array<[string, unknown]> = [
    ['too many', manyAttributes(RECIPIENT_LIMITS.attributesMaxCount + 1)],
    ['named __proto__', JSON.parse('{"__proto__": "polluted"}')],
    ['named constructor', { constructor: 'x' }],
    ['named prototype', { prototype: 'x' }],
    ['with an empty name', { '': 'x' }],
    ['with a blank name', { '  ': 'x' }],
    ['with a name holding a control character', { 'plan\u0000': 'pro' }],
    ['with a name on two lines', { 'plan\nBcc': 'pro' }],
    [
      'with a name that is too long',
      { ['k'.repeat(RECIPIENT_LIMITS.attributeKeyMaxLength + 1)]: 1 },
    ],
    ['with an object value', { address: { city: 'London' } }],
    ['with an array value', { tags: ['vip'] }],
    ['with an undefined value', { plan: undefined }],
    ['with NaN', { score: Number.NaN }],
    ['with Infinity', { score: Number.POSITIVE_INFINITY }],
    ['with a bigint', { score: 1n }],
    ['with a function', { plan: () => 'pro' }],
    [
      'with a string that is too long',
      { bio: 'x'.repeat(RECIPIENT_LIMITS.attributeValueMaxLength + 1) },
    ],
    [
      'too large in all',
      Object.fromEntries(
        Array.from({ length: 9 }, (_, i) => [
          `bio${i}`,
          'x'.repeat(RECIPIENT_LIMITS.attributeValueMaxLength),
        ]),
      ),
    ],
    ['null', null],
    ['an array', ['vip']],
    ['a string', 'plan=pro'],
  ];

  const invalidEmails: Array<[string, unknown]> = [
    ['without @', 'ada.example.com'],
    ['with two @', 'ada@lovelace@example.com'],
    ['with a header injection', 'a@b.com\nBcc: x@y.z'],
    ['with a domain without a dot', 'ada@localhost'],
    ['empty', ''],
    ['not a string', 42],
  ];

  const invalidIndexes: Array<[string, unknown]> = [
    ['too short', 'abc123'],
    ['in capitals', 'A'.repeat(64)],
    ['not hexadecimal', 'z'.repeat(64)],
    ['the address itself', defaultRecipientEmail],
    ['missing', undefined],
  ];

  const invalidIps: Array<[string, string]> = [
    ['not an address', 'not-an-ip'],
    ['out of range', '256.1.1.1'],
    ['with a leading zero', '01.2.3.4'],
    ['with a zone id', 'fe80::1%eth0'],
    ['with a port', '203.0.113.7:443'],
    ['empty', ''],
  ];

  const invalidReferences: Array<[string, unknown]> = [
    ['too long', 'R'.repeat(RECIPIENT_LIMITS.referenceMaxLength + 1)],
    ['holding a space', 'TICKET 42'],
    ['on two lines', 'TICKET-42\nBcc: x@y.z'],
    ['holding markup', '<script>'],
    ['holding an email address', 'ada@example.com'],
    ['not a string', 42],
  ];

  describe('When it does not exist yet', () => {
    it('should add it with its normalised email, trimmed name and attributes', () =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            email: anEmailInput('  "Ada.Lovelace@Example.COM" '),
            name: '  Ada Lovelace  ',
            attributes: { plan: 'pro', age: 36, vip: true, referrer: null },
            source: 'api',
            now,
          }),
        )
        .then([
          {
            type: 'RecipientAdded',
            data: {
              recipientId,
              tenantId,
              email: 'Ada.Lovelace@example.com',
              emailIndex,
              name: 'Ada Lovelace',
              attributes: { plan: 'pro', age: 36, vip: true, referrer: null },
              source: 'api',
              addedAt: at,
            },
          },
        ]));

    it('should subscribe it to every list given, with the same consent, in the one event', () => {
      const collectedAt = daysAfter(now, -3).toISOString();
      const consent = { source: 'form' as const, collectedAt, ipAddress: '203.0.113.7' };
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            source: 'form',
            listIds: [listId, otherListId],
            consent: { collectedAt, ipAddress: '203.0.113.7' },
            now,
          }),
        )
        .then([added({ source: 'form', addedAt: at, listIds: [listId, otherListId], consent })]);
    });

    it('should hold every list given in its state, on that consent', () => {
      const collectedAt = daysAfter(now, -3).toISOString();
      const consent = { source: 'form' as const, collectedAt, ipAddress: '203.0.113.7' };
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            source: 'form',
            listIds: [listId, otherListId],
            consent: { collectedAt, ipAddress: '203.0.113.7' },
            now,
          }),
        )
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: { status: 'subscribed', consent, since: at },
            [otherListId]: { status: 'subscribed', consent, since: at },
          },
        });
    });

    it('should subscribe it once to a list given twice', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, listIds: [listId, listId], now }))
        .then([
          added({
            addedAt: at,
            listIds: [listId],
            consent: { source: 'api', collectedAt: at },
          }),
        ]));

    it('should take the consent as collected now when no date is given', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, listIds: [listId], source: 'api', now }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({ consent: { source: 'api', collectedAt: at }, since: at }),
          },
        }));

    it('should accept a consent collected a few minutes ahead (clock skew)', () =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            listIds: [listId],
            consent: { collectedAt: minutesAfter(now, 4).toISOString() },
            now,
          }),
        )
        .thenStateMatches({ status: 'Active' }));

    it('should be Active once added', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, listIds: [listId], source: 'form', now }))
        .thenState({
          status: 'Active',
          recipientId,
          tenantId,
          email: defaultRecipientEmail,
          emailIndex,
          name: 'Ada Lovelace',
          attributes: {},
          memberships: {
            [listId]: {
              status: 'subscribed',
              consent: { source: 'form', collectedAt: at },
              since: at,
            },
          },
          unsubscribedAll: false,
          restricted: false,
          objected: false,
          eventCount: 1,
        }));

    it('should add it without lists and without attributes', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, attributes: undefined, listIds: undefined }))
        .thenStateMatches({ status: 'Active', attributes: {}, memberships: {} }));

    it.each<[string, string | null | undefined]>([
      ['empty', ''],
      ['blank', ' \t '],
      ['null', null],
      ['not given', undefined],
    ])('should store a name that is %s as null', (_, name) =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, name }))
        .thenStateMatches({ status: 'Active', name: null }),
    );

    it('should accept a name of 200 characters once trimmed', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, name: ` ${'x'.repeat(200)} ` }))
        .thenStateMatches({ status: 'Active', name: 'x'.repeat(200) }));

    it.each(invalidNames)('should reject a name that is %s', (_, name) =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, name: name as string }))
        .thenThrows(RecipientError, withCode('INVALID_RECIPIENT_NAME')),
    );

    it('should accept 50 attributes', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, attributes: manyAttributes(50) }))
        .thenStateMatches({ status: 'Active', attributes: manyAttributes(50) }));

    it('should accept an attribute value of 2000 characters', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, attributes: { bio: 'x'.repeat(2000) } }))
        .thenStateMatches({ status: 'Active', attributes: { bio: 'x'.repeat(2000) } }));

    it('should accept long values that are under the size limit in all', () => {
      const attributes = { a: 'x'.repeat(2000), b: 'y'.repeat(2000), c: 'z'.repeat(2000) };
      return given([])
        .when(anAddRecipient({ recipientId, tenantId, attributes }))
        .thenStateMatches({ status: 'Active', attributes });
    });

    it.each(invalidAttributes.filter(([name]) => name !== 'null'))(
      'should reject attributes that are %s',
      (_, attributes) =>
        given([])
          .when(
            anAddRecipient({
              recipientId,
              tenantId,
              attributes: attributes as RecipientAttributes,
            }),
          )
          .thenThrows(RecipientError, withCode('INVALID_ATTRIBUTES')),
    );

    it('should take null attributes as none (the field is optional)', () =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            attributes: null as unknown as RecipientAttributes,
          }),
        )
        .thenStateMatches({ status: 'Active', attributes: {} }));

    it('should not let a __proto__ attribute pollute anything', () => {
      const attempt = () =>
        recipientDecider.decide(
          anAddRecipient({
            recipientId,
            attributes: JSON.parse('{"__proto__": {"polluted": true}}') as RecipientAttributes,
          }),
          recipientDecider.initialState(),
        );
      expect(attempt).toThrow(RecipientError);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it.each(invalidEmails)('should reject an email %s', (_, address) =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            email: { address: address as string, index: emailIndex },
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')),
    );

    it.each(invalidIndexes)('should reject an email index %s', (_, index) =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            email: { address: defaultRecipientEmail, index: index as string },
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')),
    );

    it('should reject a missing email', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, email: undefined }))
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')));

    it.each<[string, () => string]>([
      ['an hour from now', () => minutesAfter(now, 60).toISOString()],
      ['tomorrow', () => daysAfter(now, 1).toISOString()],
      ['not a date', () => 'yesterday evening'],
    ])('should reject a consent collected %s', (_, collectedAt) =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            listIds: [listId],
            consent: { collectedAt: collectedAt() },
            now,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')),
    );

    it.each(invalidIps)('should reject a consent IP address %s', (_, ipAddress) =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, listIds: [listId], consent: { ipAddress } }))
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')),
    );

    it.each([['203.0.113.7'], ['2001:db8::7'], ['::ffff:203.0.113.7']])(
      'should keep the consent IP address %s',
      (ipAddress) =>
        given([])
          .when(
            anAddRecipient({ recipientId, tenantId, listIds: [listId], consent: { ipAddress } }),
          )
          .thenStateMatches({
            status: 'Active',
            memberships: {
              [listId]: aMembership({ consent: { source: 'api', collectedAt: at, ipAddress } }),
            },
          }),
    );

    it.each([...CONSENT_SOURCES])('should accept the consent source %s', (source) =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, source }))
        .thenStateMatches({ status: 'Active' }),
    );

    it('should reject an unknown consent source', () =>
      given([])
        .when(anAddRecipient({ recipientId, tenantId, source: 'purchased' as 'api' }))
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')));

    it('should accept 20 lists at once, all in the one event', () => {
      const listIds = Array.from({ length: RECIPIENT_LIMITS.listsPerCommandMax }, () => anId());
      given([])
        .when(anAddRecipient({ recipientId, tenantId, listIds, now }))
        .thenStateMatches({
          status: 'Active',
          eventCount: 1,
          memberships: Object.fromEntries(
            listIds.map((id) => [
              id,
              aMembership({ consent: { source: 'api', collectedAt: at }, since: at }),
            ]),
          ),
        });
    });

    it('should reject 21 lists at once', () =>
      given([])
        .when(
          anAddRecipient({
            recipientId,
            tenantId,
            listIds: Array.from({ length: RECIPIENT_LIMITS.listsPerCommandMax + 1 }, () => anId()),
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')));

    it('should import it: added from the import and subscribed to the list, in one event', () =>
      given([])
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            email: anEmailInput('Ada.Lovelace@EXAMPLE.com'),
            name: ' Ada Lovelace ',
            attributes: { plan: 'free' },
            listId,
            now,
          }),
        )
        .then([
          {
            type: 'RecipientAdded',
            data: {
              recipientId,
              tenantId,
              email: 'Ada.Lovelace@example.com',
              emailIndex,
              name: 'Ada Lovelace',
              attributes: { plan: 'free' },
              source: 'import',
              addedAt: at,
              listIds: [listId],
              consent: { source: 'import', collectedAt: at },
            },
          },
        ]));

    it.each(invalidEmails)('should not import an email %s', (_, address) =>
      given([])
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            email: { address: address as string, index: emailIndex },
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')),
    );

    it.each(invalidAttributes)('should not import attributes that are %s', (_, attributes) =>
      given([])
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            attributes: attributes as RecipientAttributes,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_ATTRIBUTES')),
    );

    it.each(invalidNames)('should not import a name that is %s', (_, name) =>
      given([])
        .when(anImportRecipient({ recipientId, tenantId, name: name as string }))
        .thenThrows(RecipientError, withCode('INVALID_RECIPIENT_NAME')),
    );

    it.each([
      ...everyCommandButAdd().filter(([name]) => name !== 'ImportRecipient'),
      ['EraseRecipient', () => anEraseRecipient({ recipientId, tenantId })] as [
        string,
        () => RecipientCommand,
      ],
    ])('should refuse %s with RECIPIENT_NOT_FOUND', (_, command) =>
      given([]).when(command()).thenThrows(RecipientError, withCode('RECIPIENT_NOT_FOUND')),
    );

    it('should refuse to erase it, even with an unknown basis', () =>
      given([])
        .when(anEraseRecipient({ recipientId, tenantId, basis: 'because' as ErasureBasis }))
        .thenThrows(RecipientError, withCode('RECIPIENT_NOT_FOUND')));

    it('should not be sendable', () => expect(isSendable(stateAfter([]), listId)).toBe(false));
  });

  describe('When active without any list', () => {
    it('should not add it again', () =>
      given([added()])
        .when(anAddRecipient({ recipientId, tenantId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_ALREADY_EXISTS')));

    it('should not add it again, even for another tenant', () =>
      given([added()])
        .when(anAddRecipient({ recipientId, tenantId: otherTenantId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_ALREADY_EXISTS')));

    it('should not add it again, even with an invalid email', () =>
      given([added()])
        .when(anAddRecipient({ recipientId, tenantId, email: { address: 'nope', index: 'nope' } }))
        .thenThrows(RecipientError, withCode('RECIPIENT_ALREADY_EXISTS')));

    it('should subscribe it to the imported list, correcting nothing when the row is the same', () =>
      given([added()])
        .when(anImportRecipient({ recipientId, tenantId, listId, now }))
        .then([
          aRecipientSubscribed({
            recipientId,
            tenantId,
            listId,
            consent: { source: 'import', collectedAt: at },
            subscribedAt: at,
          }),
        ]));

    it('should subscribe it to a list', () =>
      given([added()])
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            consent: { source: 'api', collectedAt: at, ipAddress: '2001:db8::7' },
            now,
          }),
        )
        .then([
          {
            type: 'RecipientSubscribed',
            data: {
              recipientId,
              tenantId,
              listId,
              consent: { source: 'api', collectedAt: at, ipAddress: '2001:db8::7' },
              subscribedAt: at,
            },
          },
        ]));

    it('should normalise the consent date', () =>
      given([added()])
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            consent: aConsent({ collectedAt: '2024-12-24T18:30:00+01:00' }),
          }),
        )
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({
              consent: { source: 'form', collectedAt: '2024-12-24T17:30:00.000Z' },
              since: at,
            }),
          },
        }));

    it('should reject a subscription collected in the future', () =>
      given([added()])
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            consent: aConsent({ collectedAt: daysAfter(now, 1).toISOString() }),
            now,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')));

    it.each(invalidIps)('should reject a subscription from an IP address %s', (_, ipAddress) =>
      given([added()])
        .when(
          aSubscribeRecipient({ recipientId, tenantId, listId, consent: aConsent({ ipAddress }) }),
        )
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')),
    );

    it('should reject a subscription without consent', () =>
      given([added()])
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            consent: undefined as unknown as ConsentEvidence,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')));

    it('should request a double opt-in', () =>
      given([added()])
        .when(
          aRequestOptIn({
            recipientId,
            tenantId,
            listId,
            requestId,
            consent: aConsent({ source: 'form', ipAddress: '203.0.113.7' }),
            expiresAt: daysAfter(now, 7),
            now,
          }),
        )
        .then([
          {
            type: 'OptInRequested',
            data: {
              recipientId,
              tenantId,
              listId,
              requestId,
              consent: { source: 'form', collectedAt: at, ipAddress: '203.0.113.7' },
              requestedAt: at,
              expiresAt: daysAfter(now, 7).toISOString(),
            },
          },
        ]));

    it('should keep the opt-in pending', () =>
      given([added()])
        .when(aRequestOptIn({ recipientId, tenantId, listId, requestId, now }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({
              status: 'pending',
              consent: { source: 'form', collectedAt: at },
              optIn: { requestId, expiresAt: daysAfter(now, 7).toISOString() },
              since: at,
            }),
          },
        }));

    it.each<[string, () => Date]>([
      ['in the past', () => minutesAfter(now, -1)],
      ['now', () => aNow()],
      ['never (an invalid date)', () => new Date('garbage')],
    ])('should refuse an opt-in request that expires %s', (_, expiresAt) =>
      given([added()])
        .when(aRequestOptIn({ recipientId, tenantId, listId, expiresAt: expiresAt(), now }))
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')),
    );

    it('should not confirm an opt-in that was never requested', () =>
      given([added()])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING')));

    it('should not unsubscribe it from a list it never joined', () =>
      given([added()])
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId }))
        .thenThrows(RecipientError, withCode('NOT_SUBSCRIBED')));

    it.each<['api' | 'one_click' | 'support']>([['api'], ['one_click'], ['support']])(
      'should unsubscribe it from every list through %s, suppressing the address',
      (channel) =>
        given([added()])
          .when(anUnsubscribeRecipient({ recipientId, tenantId, listId: null, channel, now }))
          .then([
            {
              type: 'RecipientUnsubscribed',
              data: {
                recipientId,
                tenantId,
                listId: null,
                channel,
                emailIndex,
                unsubscribedAt: at,
              },
            },
          ]),
    );

    it('should treat a missing list as every list', () =>
      given([added()])
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId: undefined }))
        .thenStateMatches({ status: 'Active', unsubscribedAll: true }));

    it('should restrict processing', () =>
      given([added()])
        .when(aRestrictRecipient({ recipientId, tenantId, requestId, now }))
        .then([
          {
            type: 'RecipientRestricted',
            data: { recipientId, tenantId, requestId, restrictedAt: at },
          },
        ]));

    it('should record nothing when lifting a restriction it does not have', () =>
      given([added()]).when(aLiftRestriction({ recipientId, tenantId })).thenNothing());

    it('should record an objection', () =>
      given([added()])
        .when(anObjectToProcessing({ recipientId, tenantId, requestId, now }))
        .then([
          { type: 'RecipientObjected', data: { recipientId, tenantId, requestId, objectedAt: at } },
        ]));

    it('should erase it', () =>
      given([added()])
        .when(
          anEraseRecipient({
            recipientId,
            tenantId,
            requestId,
            basis: 'gdpr_art17',
            requestedBy: 'apikey:0f3c',
            reference: 'ZD#4711',
            now,
          }),
        )
        .then([
          {
            type: 'RecipientErased',
            data: {
              recipientId,
              tenantId,
              requestId,
              basis: 'gdpr_art17',
              requestedBy: 'apikey:0f3c',
              reference: 'ZD#4711',
              erasedAt: at,
              emailIndex,
              historyEvents: 2,
              membershipsRemoved: 0,
            },
          },
        ]));

    it.each([...ERASURE_BASES])('should erase it on the basis %s', (basis) =>
      given([added()])
        .when(anEraseRecipient({ recipientId, tenantId, requestId, basis, now }))
        .then([erased({ requestId, basis, erasedAt: at, historyEvents: 2 })]),
    );

    it.each<[string, ErasureBasis]>([
      ['unknown', 'because' as ErasureBasis],
      ['empty', '' as ErasureBasis],
      ['in capitals', 'GDPR_ART17' as ErasureBasis],
    ])('should refuse to erase it on a basis that is %s', (_, basis) =>
      given([added()])
        .when(anEraseRecipient({ recipientId, tenantId, basis }))
        .thenThrows(RecipientError, withCode('INVALID_LEGAL_BASIS')),
    );

    it.each(invalidReferences)('should refuse an erasure reference that is %s', (_, reference) =>
      given([added()])
        .when(anEraseRecipient({ recipientId, tenantId, reference: reference as string }))
        .thenThrows(RecipientError, withCode('INVALID_REFERENCE')),
    );

    it.each<[string, string | null | undefined]>([
      ['null', null],
      ['empty', ''],
      ['not given', undefined],
    ])('should record an erasure reference that is %s as null', (_, reference) =>
      given([added()])
        .when(anEraseRecipient({ recipientId, tenantId, requestId, reference, now }))
        .then([erased({ requestId, reference: null, erasedAt: at, historyEvents: 2 })]),
    );

    it('should accept an erasure reference of 100 characters', () =>
      given([added()])
        .when(
          anEraseRecipient({ recipientId, tenantId, requestId, reference: 'R'.repeat(100), now }),
        )
        .then([erased({ requestId, reference: 'R'.repeat(100), erasedAt: at, historyEvents: 2 })]));

    it('should be Erased once erased, keeping no personal data', () =>
      given([added({ name: 'Ada Lovelace', attributes: { city: 'London' } })])
        .when(anEraseRecipient({ recipientId, tenantId, requestId, now }))
        .thenState({
          status: 'Erased',
          recipientId,
          tenantId,
          erasure: {
            recipientId,
            tenantId,
            requestId,
            basis: 'gdpr_art17',
            requestedBy: 'operator:cli',
            reference: 'TICKET-4711',
            erasedAt: at,
            emailIndex,
            historyEvents: 2,
            membershipsRemoved: 0,
          },
          eventCount: 2,
        }));

    it('should not be sendable', () =>
      expect(isSendable(stateAfter([added()]), listId)).toBe(false));
  });

  describe('When correcting it', () => {
    const current = () =>
      added({ name: 'Ada Lovelace', attributes: { plan: 'free', city: 'London' } });

    it('should record only the name when only the name changes', () =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: ' Augusta Ada King ',
            attributes: { city: 'London', plan: 'free' },
            email: anEmailInput(defaultRecipientEmail),
            now,
          }),
        )
        .then([
          {
            type: 'RecipientCorrected',
            data: { recipientId, tenantId, name: 'Augusta Ada King', correctedAt: at },
          },
        ]));

    it.each<[string, string | null]>([
      ['empty', ''],
      ['blank', '   '],
      ['null', null],
    ])('should clear the name when given one that is %s', (_, name) =>
      given([current()])
        .when(aCorrectRecipient({ recipientId, tenantId, name, now }))
        .then([aRecipientCorrected({ recipientId, tenantId, name: null, correctedAt: at })]),
    );

    it('should replace the attributes as a whole', () =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            attributes: { plan: 'pro' },
            now,
          }),
        )
        .then([
          aRecipientCorrected({
            recipientId,
            tenantId,
            attributes: { plan: 'pro' },
            correctedAt: at,
          }),
        ]));

    it('should clear the attributes when given none', () =>
      given([current()])
        .when(aCorrectRecipient({ recipientId, tenantId, name: undefined, attributes: {} }))
        .thenStateMatches({ status: 'Active', attributes: {} }));

    it('should record the new email with its new index', () =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            email: anEmailInput(' <ada@Lovelace.ORG> '),
            now,
          }),
        )
        .then([
          aRecipientCorrected({
            recipientId,
            tenantId,
            email: 'ada@lovelace.org',
            emailIndex: aFakeEmailIndex('ada@lovelace.org'),
            correctedAt: at,
          }),
        ]));

    it('should record a change in the case of the email, keeping its index', () =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            email: anEmailInput('Ada.Lovelace@example.com'),
            now,
          }),
        )
        .then([
          aRecipientCorrected({
            recipientId,
            tenantId,
            email: 'Ada.Lovelace@example.com',
            correctedAt: at,
          }),
        ]));

    it('should carry the new email and index once corrected', () =>
      given([current()])
        .when(aCorrectRecipient({ recipientId, tenantId, email: anEmailInput('ada@lovelace.org') }))
        .thenStateMatches({
          status: 'Active',
          email: 'ada@lovelace.org',
          emailIndex: aFakeEmailIndex('ada@lovelace.org'),
          name: 'Augusta Ada King',
        }));

    it('should record every change at once', () =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            email: anEmailInput('ada@lovelace.org'),
            name: 'Augusta Ada King',
            attributes: { plan: 'pro' },
            now,
          }),
        )
        .then([
          aRecipientCorrected({
            recipientId,
            tenantId,
            email: 'ada@lovelace.org',
            emailIndex: aFakeEmailIndex('ada@lovelace.org'),
            name: 'Augusta Ada King',
            attributes: { plan: 'pro' },
            correctedAt: at,
          }),
        ]));

    it.each<[string, () => RecipientCommand]>([
      ['nothing is given', () => aCorrectRecipient({ recipientId, tenantId, name: undefined })],
      [
        'everything is the same',
        () =>
          aCorrectRecipient({
            recipientId,
            tenantId,
            email: anEmailInput(defaultRecipientEmail),
            name: 'Ada Lovelace',
            attributes: { plan: 'free', city: 'London' },
          }),
      ],
      [
        'the name is the same once trimmed',
        () => aCorrectRecipient({ recipientId, tenantId, name: '\tAda Lovelace ' }),
      ],
      [
        'the attributes are the same in another order',
        () =>
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            attributes: { city: 'London', plan: 'free' },
          }),
      ],
      [
        'the email is the same, differently wrapped',
        () =>
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            email: anEmailInput(` "<${defaultRecipientEmail}>" `),
          }),
      ],
      [
        'the email is the same with its domain in capitals',
        () =>
          aCorrectRecipient({
            recipientId,
            tenantId,
            name: undefined,
            email: anEmailInput('ada.lovelace@EXAMPLE.COM'),
          }),
      ],
    ])('should record nothing when %s', (_, command) =>
      given([current()]).when(command()).thenNothing(),
    );

    it.each(invalidNames)('should reject a name that is %s', (_, name) =>
      given([current()])
        .when(aCorrectRecipient({ recipientId, tenantId, name: name as string }))
        .thenThrows(RecipientError, withCode('INVALID_RECIPIENT_NAME')),
    );

    it.each(invalidAttributes)('should reject attributes that are %s', (_, attributes) =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            attributes: attributes as RecipientAttributes,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_ATTRIBUTES')),
    );

    it.each(invalidEmails)('should reject an email %s', (_, address) =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            email: { address: address as string, index: emailIndex },
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')),
    );

    it.each(invalidIndexes)('should reject an email index %s', (_, index) =>
      given([current()])
        .when(
          aCorrectRecipient({
            recipientId,
            tenantId,
            email: { address: 'ada@lovelace.org', index: index as string },
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_EMAIL')),
    );

    it('should erase it with its latest email index', () => {
      const newIndex = aFakeEmailIndex('ada@lovelace.org');
      given([
        current(),
        aRecipientCorrected({
          recipientId,
          tenantId,
          email: 'ada@lovelace.org',
          emailIndex: newIndex,
        }),
      ])
        .when(anEraseRecipient({ recipientId, tenantId, requestId, now }))
        .then([erased({ requestId, erasedAt: at, emailIndex: newIndex, historyEvents: 3 })]);
    });
  });

  describe('When subscribed to lists', () => {
    const history = () => [
      added({ name: 'Ada Lovelace', attributes: { plan: 'free', city: 'London' } }),
      subscribed(listId),
      subscribed(otherListId),
    ];

    it.each([...CONSENT_SOURCES])('should record nothing when subscribed again (%s)', (source) =>
      given(history())
        .when(aSubscribeRecipient({ recipientId, tenantId, listId, consent: aConsent({ source }) }))
        .thenNothing(),
    );

    it('should record nothing when requesting an opt-in to a list it is on', () =>
      given(history()).when(aRequestOptIn({ recipientId, tenantId, listId })).thenNothing());

    it('should not confirm an opt-in to a list it joined without one', () =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING')));

    it('should record nothing when imported again with the same data', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            name: 'Ada Lovelace',
            attributes: { plan: 'free' },
          }),
        )
        .thenNothing());

    it('should record nothing when imported with neither name nor attributes', () =>
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId, name: null, attributes: {} }))
        .thenNothing());

    it('should record nothing when imported with an empty name', () =>
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId, name: '  ', attributes: {} }))
        .thenNothing());

    it('should merge an imported row: only the changed fields, and no second subscription', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            name: 'Ada Lovelace',
            attributes: { plan: 'pro', source: 'fair' },
            now,
          }),
        )
        .then([
          aRecipientCorrected({
            recipientId,
            tenantId,
            attributes: { plan: 'pro', city: 'London', source: 'fair' },
            correctedAt: at,
          }),
        ]));

    it('should replace the name from an imported row', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            name: 'Augusta Ada King',
            attributes: { city: 'London' },
            now,
          }),
        )
        .then([
          aRecipientCorrected({ recipientId, tenantId, name: 'Augusta Ada King', correctedAt: at }),
        ]));

    it('should correct and subscribe when an imported row brings a new list', () => {
      const newListId = anId();
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId: newListId,
            name: 'Augusta Ada King',
            now,
          }),
        )
        .then([
          aRecipientCorrected({ recipientId, tenantId, name: 'Augusta Ada King', correctedAt: at }),
          aRecipientSubscribed({
            recipientId,
            tenantId,
            listId: newListId,
            consent: { source: 'import', collectedAt: at },
            subscribedAt: at,
          }),
        ]);
    });

    it('should keep the stored address when a row spells it differently', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            email: anEmailInput('ADA.LOVELACE@example.com'),
            name: 'Ada Lovelace',
          }),
        )
        .thenNothing());

    it('should refuse a row whose email index is another address', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            email: anEmailInput('bob@example.com'),
          }),
        )
        .thenThrows(RecipientError, withCode('RECIPIENT_EMAIL_TAKEN')));

    it('should refuse a row that makes too many attributes once merged', () =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            attributes: manyAttributes(RECIPIENT_LIMITS.attributesMaxCount - 1),
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_ATTRIBUTES')));

    it.each(invalidAttributes)('should refuse a row with attributes that are %s', (_, attributes) =>
      given(history())
        .when(
          anImportRecipient({
            recipientId,
            tenantId,
            listId,
            attributes: attributes as RecipientAttributes,
          }),
        )
        .thenThrows(RecipientError, withCode('INVALID_ATTRIBUTES')),
    );

    it('should unsubscribe it from one list', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId, channel: 'one_click', now }))
        .then([
          {
            type: 'RecipientUnsubscribed',
            data: {
              recipientId,
              tenantId,
              listId,
              channel: 'one_click',
              emailIndex,
              unsubscribedAt: at,
            },
          },
        ]));

    it('should name the message whose link or reply carried the unsubscribe', () => {
      const messageId = anId();
      given(history())
        .when(
          anUnsubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            channel: 'mailto',
            messageId,
            now,
          }),
        )
        .then([
          {
            type: 'RecipientUnsubscribed',
            data: {
              recipientId,
              tenantId,
              listId,
              channel: 'mailto',
              messageId,
              emailIndex,
              unsubscribedAt: at,
            },
          },
        ]);
    });

    it.each([['not-a-uuid'], [''], [null]])('should leave out a message id of %p', (messageId) =>
      given(history())
        .when(
          anUnsubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            channel: 'one_click',
            messageId,
            now,
          }),
        )
        .then([
          {
            type: 'RecipientUnsubscribed',
            data: {
              recipientId,
              tenantId,
              listId,
              channel: 'one_click',
              emailIndex,
              unsubscribedAt: at,
            },
          },
        ]),
    );

    it('should leave the other list alone when unsubscribed from one', () => {
      const later = daysAfter(now, 1);
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId, now: later }))
        .thenStateMatches({
          status: 'Active',
          unsubscribedAll: false,
          memberships: {
            [listId]: aMembership({ status: 'unsubscribed', since: later.toISOString() }),
            [otherListId]: aMembership({ status: 'subscribed', since: at }),
          },
        });
    });

    it('should unsubscribe it from every list at once', () => {
      const later = daysAfter(now, 1);
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId: null, now: later }))
        .thenStateMatches({
          status: 'Active',
          unsubscribedAll: true,
          memberships: {
            [listId]: aMembership({ status: 'unsubscribed', since: later.toISOString() }),
            [otherListId]: aMembership({ status: 'unsubscribed', since: later.toISOString() }),
          },
        });
    });

    it('should erase it, counting its history and memberships', () =>
      given(history())
        .when(anEraseRecipient({ recipientId, tenantId, requestId, now }))
        .then([
          aRecipientErased({
            recipientId,
            tenantId,
            requestId,
            erasedAt: at,
            emailIndex,
            historyEvents: 4,
            membershipsRemoved: 2,
          }),
        ]));

    it('should be sendable to its lists only', () => {
      const state = stateAfter(history());
      expect(isSendable(state, listId)).toBe(true);
      expect(isSendable(state, otherListId)).toBe(true);
      expect(isSendable(state, anId())).toBe(false);
    });
  });

  describe('When an opt-in is pending', () => {
    const history = () => [added(), optInRequested(requestId, listId)];

    it('should confirm it', () =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId, now }))
        .then([
          {
            type: 'OptInConfirmed',
            data: { recipientId, tenantId, listId, requestId, confirmedAt: at },
          },
        ]));

    it('should confirm it with the IP address of the click', () =>
      given(history())
        .when(
          aConfirmOptIn({
            recipientId,
            tenantId,
            listId,
            requestId,
            ipAddress: '203.0.113.9',
            now,
          }),
        )
        .then([
          anOptInConfirmed({
            recipientId,
            tenantId,
            listId,
            requestId,
            confirmedAt: at,
            ipAddress: '203.0.113.9',
          }),
        ]));

    it.each(invalidIps)('should reject a confirmation from an IP address %s', (_, ipAddress) =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId, ipAddress }))
        .thenThrows(RecipientError, withCode('INVALID_CONSENT')),
    );

    it('should be subscribed once confirmed, with the consent of the request', () => {
      const later = minutesAfter(now, 30);
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId, now: later }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: {
              status: 'subscribed',
              consent: { source: 'form', collectedAt: at },
              confirmedAt: later.toISOString(),
              since: later.toISOString(),
            },
          },
        });
    });

    it('should be sendable once confirmed', () =>
      expect(
        isSendable(stateAfter([...history(), optInConfirmed(requestId, listId)]), listId),
      ).toBe(true));

    it('should not be sendable while pending', () =>
      expect(isSendable(stateAfter(history()), listId)).toBe(false));

    it('should accept a confirmation at the very moment it expires', () =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId, now: daysAfter(now, 7) }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({
              consent: { source: 'form', collectedAt: at },
              confirmedAt: daysAfter(now, 7).toISOString(),
              since: daysAfter(now, 7).toISOString(),
            }),
          },
        }));

    it('should refuse a confirmation once expired', () =>
      given(history())
        .when(
          aConfirmOptIn({
            recipientId,
            tenantId,
            listId,
            requestId,
            now: minutesAfter(daysAfter(now, 7), 1),
          }),
        )
        .thenThrows(RecipientError, withCode('OPT_IN_EXPIRED')));

    it('should refuse a confirmation of another request', () =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId: anId() }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING')));

    it('should refuse a confirmation for another list', () =>
      given(history())
        .when(aConfirmOptIn({ recipientId, tenantId, listId: otherListId, requestId }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING')));

    it('should refuse a confirmation of a request replaced by a newer one', () => {
      const newer = anId();
      given([...history(), optInRequested(newer, listId)])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING'));
    });

    it('should confirm the newer request that replaced it', () => {
      const newer = anId();
      given([...history(), optInRequested(newer, listId)])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId: newer, now }))
        .then([
          anOptInConfirmed({ recipientId, tenantId, listId, requestId: newer, confirmedAt: at }),
        ]);
    });

    it('should record nothing when confirmed twice', () =>
      given([...history(), optInConfirmed(requestId, listId)])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenNothing());

    it('should cancel it when unsubscribed from the list', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId, now }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({
              status: 'unsubscribed',
              consent: { source: 'form', collectedAt: at },
              since: at,
            }),
          },
        }));

    it('should refuse its confirmation once unsubscribed from the list', () =>
      given([...history(), unsubscribed(listId)])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('OPT_IN_NOT_PENDING')));

    it('should not import it into the pending list', () =>
      given(history()).when(anImportRecipient({ recipientId, tenantId, listId })).thenNothing());
  });

  describe('When it left a list', () => {
    const history = () => [added(), subscribed(listId), unsubscribed(listId)];

    it.each<['api' | 'import']>([['api'], ['import']])(
      'should refuse to subscribe it again through %s',
      (source) =>
        given(history())
          .when(
            aSubscribeRecipient({ recipientId, tenantId, listId, consent: aConsent({ source }) }),
          )
          .thenThrows(RecipientError, withCode('ALREADY_UNSUBSCRIBED')),
    );

    it('should let the person rejoin it through a form', () =>
      given(history())
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId,
            consent: aConsent({ source: 'form' }),
            now,
          }),
        )
        .then([
          aRecipientSubscribed({
            recipientId,
            tenantId,
            listId,
            consent: { source: 'form', collectedAt: at },
            subscribedAt: at,
          }),
        ]));

    it('should let the person rejoin it through a double opt-in', () =>
      given(history())
        .when(aRequestOptIn({ recipientId, tenantId, listId, requestId }))
        .thenStateMatches({
          status: 'Active',
          memberships: {
            [listId]: aMembership({
              status: 'pending',
              consent: { source: 'form', collectedAt: at },
              optIn: { requestId, expiresAt: daysAfter(now, 7).toISOString() },
              since: at,
            }),
          },
        }));

    it('should still subscribe it to another list', () =>
      given(history())
        .when(aSubscribeRecipient({ recipientId, tenantId, listId: otherListId }))
        .thenStateMatches({
          status: 'Active',
          memberships: { [otherListId]: aMembership({ since: at }) },
        }));

    it('should not resubscribe it from an import', () =>
      given(history()).when(anImportRecipient({ recipientId, tenantId, listId })).thenNothing());

    it('should still correct it from an import, without resubscribing it', () =>
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId, name: 'Augusta Ada King', now }))
        .then([
          aRecipientCorrected({ recipientId, tenantId, name: 'Augusta Ada King', correctedAt: at }),
        ]));

    it('should record nothing when unsubscribed again', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId }))
        .thenNothing());

    it('should not be sendable to that list', () =>
      expect(isSendable(stateAfter(history()), listId)).toBe(false));
  });

  describe('When unsubscribed from every list', () => {
    const history = () => [
      added(),
      subscribed(listId),
      subscribed(otherListId),
      unsubscribed(null),
    ];

    it('should record nothing when unsubscribed from every list again', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId: null }))
        .thenNothing());

    it('should record nothing when unsubscribed from one of its lists', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId }))
        .thenNothing());

    it.each([...CONSENT_SOURCES])('should refuse a subscription through %s', (source) =>
      given(history())
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId: anId(),
            consent: aConsent({ source }),
          }),
        )
        .thenThrows(RecipientError, withCode('RECIPIENT_SUPPRESSED')),
    );

    it('should refuse to request an opt-in', () =>
      given(history())
        .when(aRequestOptIn({ recipientId, tenantId, listId: anId() }))
        .thenThrows(RecipientError, withCode('RECIPIENT_SUPPRESSED')));

    it('should refuse to confirm an opt-in requested before', () =>
      given([added(), optInRequested(requestId, listId), unsubscribed(null)])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_SUPPRESSED')));

    it('should refuse an import', () =>
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId: anId() }))
        .thenThrows(RecipientError, withCode('RECIPIENT_SUPPRESSED')));

    it('should still let its data be corrected', () =>
      given(history())
        .when(aCorrectRecipient({ recipientId, tenantId, name: 'Augusta Ada King', now }))
        .then([
          aRecipientCorrected({ recipientId, tenantId, name: 'Augusta Ada King', correctedAt: at }),
        ]));

    it('should still restrict it', () =>
      given(history())
        .when(aRestrictRecipient({ recipientId, tenantId }))
        .thenStateMatches({ status: 'Active', restricted: true, unsubscribedAll: true }));

    it('should still record an objection', () =>
      given(history())
        .when(anObjectToProcessing({ recipientId, tenantId }))
        .thenStateMatches({ status: 'Active', objected: true, unsubscribedAll: true }));

    it('should still erase it, counting every membership', () =>
      given(history())
        .when(anEraseRecipient({ recipientId, tenantId, requestId, now }))
        .then([erased({ requestId, erasedAt: at, historyEvents: 5, membershipsRemoved: 2 })]));

    it('should not be sendable to any list', () => {
      const state = stateAfter(history());
      expect(isSendable(state, listId)).toBe(false);
      expect(isSendable(state, otherListId)).toBe(false);
    });
  });

  describe('When restricted', () => {
    const history = () => [added(), subscribed(listId), restricted()];

    it('should record nothing when restricted again', () =>
      given(history()).when(aRestrictRecipient({ recipientId, tenantId })).thenNothing());

    it('should lift the restriction', () =>
      given(history())
        .when(aLiftRestriction({ recipientId, tenantId, requestId, now }))
        .then([
          {
            type: 'RecipientRestrictionLifted',
            data: { recipientId, tenantId, requestId, liftedAt: at },
          },
        ]));

    it('should refuse a new subscription, a double opt-in and an import while restricted', () => {
      const otherList = anId();
      given(history())
        .when(aSubscribeRecipient({ recipientId, tenantId, listId: otherList }))
        .thenThrows(RecipientError, (e) => e.code === 'RECIPIENT_RESTRICTED');
      given(history())
        .when(aRequestOptIn({ recipientId, tenantId, listId: otherList, now }))
        .thenThrows(RecipientError, (e) => e.code === 'RECIPIENT_RESTRICTED');
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId: otherList }))
        .thenThrows(RecipientError, (e) => e.code === 'RECIPIENT_RESTRICTED');
    });

    it('should be unrestricted once lifted', () =>
      given(history())
        .when(aLiftRestriction({ recipientId, tenantId }))
        .thenStateMatches({ status: 'Active', restricted: false }));

    it('should still be unsubscribed', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId }))
        .thenStateMatches({
          status: 'Active',
          memberships: { [listId]: aMembership({ status: 'unsubscribed', since: at }) },
        }));

    it('should still be erased', () =>
      given(history())
        .when(anEraseRecipient({ recipientId, tenantId }))
        .thenStateMatches({ status: 'Erased' }));

    it('should not be sendable until lifted', () => {
      expect(isSendable(stateAfter(history()), listId)).toBe(false);
      expect(isSendable(stateAfter([...history(), restrictionLifted()]), listId)).toBe(true);
    });
  });

  describe('When it objected to processing', () => {
    const history = () => [added(), subscribed(listId), objected()];

    it('should record nothing when objecting again', () =>
      given(history()).when(anObjectToProcessing({ recipientId, tenantId })).thenNothing());

    it('should refuse a subscription, even through a form', () =>
      given(history())
        .when(
          aSubscribeRecipient({
            recipientId,
            tenantId,
            listId: anId(),
            consent: aConsent({ source: 'form' }),
          }),
        )
        .thenThrows(RecipientError, withCode('RECIPIENT_OBJECTED')));

    it('should refuse to request an opt-in', () =>
      given(history())
        .when(aRequestOptIn({ recipientId, tenantId, listId: anId() }))
        .thenThrows(RecipientError, withCode('RECIPIENT_OBJECTED')));

    it('should refuse to confirm an opt-in requested before', () =>
      given([added(), optInRequested(requestId, listId), objected()])
        .when(aConfirmOptIn({ recipientId, tenantId, listId, requestId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_OBJECTED')));

    it('should refuse an import, even into a list it is on', () =>
      given(history())
        .when(anImportRecipient({ recipientId, tenantId, listId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_OBJECTED')));

    it('should refuse an import with OBJECTED before SUPPRESSED', () =>
      given([...history(), unsubscribed(null)])
        .when(anImportRecipient({ recipientId, tenantId, listId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_OBJECTED')));

    it('should still be unsubscribed', () =>
      given(history())
        .when(anUnsubscribeRecipient({ recipientId, tenantId, listId, now }))
        .then([aRecipientUnsubscribed({ recipientId, tenantId, listId, unsubscribedAt: at })]));

    it('should still let its data be corrected', () =>
      given(history())
        .when(aCorrectRecipient({ recipientId, tenantId, name: 'Augusta Ada King' }))
        .thenStateMatches({ status: 'Active', name: 'Augusta Ada King' }));

    it('should still be erased', () =>
      given(history())
        .when(anEraseRecipient({ recipientId, tenantId }))
        .thenStateMatches({ status: 'Erased' }));

    it('should not be sendable', () =>
      expect(isSendable(stateAfter(history()), listId)).toBe(false));
  });

  describe('When erased', () => {
    const history = () => [
      added(),
      subscribed(listId),
      erased({ historyEvents: 3, membershipsRemoved: 1 }),
    ];

    it('should record nothing when erased again', () =>
      given(history()).when(anEraseRecipient({ recipientId, tenantId })).thenNothing());

    it('should record nothing when erased again, even on another basis and with a bad reference', () =>
      given(history())
        .when(
          anEraseRecipient({
            recipientId,
            tenantId,
            basis: 'because' as ErasureBasis,
            reference: 'not a reference',
          }),
        )
        .thenNothing());

    it('should keep the first erasure when erased again', () => {
      const first = erased({ requestId, historyEvents: 3, membershipsRemoved: 1 });
      given([added(), subscribed(listId), first])
        .when(anEraseRecipient({ recipientId, tenantId, basis: 'retention' }))
        .thenState({ status: 'Erased', recipientId, tenantId, erasure: first.data, eventCount: 3 });
    });

    it('should refuse a new recipient with the same id', () =>
      given(history())
        .when(anAddRecipient({ recipientId, tenantId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_ERASED')));

    it.each(everyCommandButAdd())('should refuse %s with RECIPIENT_ERASED', (_, command) =>
      given(history()).when(command()).thenThrows(RecipientError, withCode('RECIPIENT_ERASED')),
    );

    it('should not be sendable', () =>
      expect(isSendable(stateAfter(history()), listId)).toBe(false));
  });

  describe('When owned by another tenant', () => {
    const histories: Array<[string, () => RecipientEvent[]]> = [
      ['new', () => [added()]],
      ['subscribed', () => [added(), subscribed(listId)]],
      ['pending', () => [added(), optInRequested(requestId, listId)]],
      ['erased', () => [added(), erased()]],
    ];
    const commands: Array<[string, () => RecipientCommand]> = [
      ...everyCommandButAdd(otherTenantId),
      ['EraseRecipient', () => anEraseRecipient({ recipientId, tenantId: otherTenantId })],
      [
        'CorrectRecipient with invalid data',
        () => aCorrectRecipient({ recipientId, tenantId: otherTenantId, name: 'x\ny' }),
      ],
    ];

    it.each(
      histories.flatMap(([state, history]) =>
        commands.map(([name, command]) => [state, name, history, command] as const),
      ),
    )(
      'should not let it see a %s recipient: %s is RECIPIENT_NOT_FOUND',
      (_state, _name, history, command) =>
        given(history())
          .when(command())
          .thenThrows(RecipientError, withCode('RECIPIENT_NOT_FOUND')),
    );

    it('should not add a recipient whose id is taken', () =>
      given([added()])
        .when(anAddRecipient({ recipientId, tenantId: otherTenantId }))
        .thenThrows(RecipientError, withCode('RECIPIENT_ALREADY_EXISTS')));
  });

  describe('When deciding whether to send to it', () => {
    const active = (
      membership: Membership | undefined,
      flags: Partial<ActiveRecipient> = {},
    ): ActiveRecipient => ({
      status: 'Active',
      recipientId,
      tenantId,
      email: defaultRecipientEmail,
      emailIndex,
      name: null,
      attributes: {},
      memberships: membership ? { [listId]: membership } : {},
      unsubscribedAll: false,
      restricted: false,
      objected: false,
      eventCount: 2,
      ...flags,
    });
    const membership = (status: Membership['status']): Membership => ({
      status,
      consent: aConsent(),
      since: at,
    });

    const statuses = [undefined, 'pending', 'subscribed', 'unsubscribed'] as const;
    const booleans = [false, true] as const;
    const table = statuses.flatMap((status) =>
      booleans.flatMap((unsubscribedAll) =>
        booleans.flatMap((restricted) =>
          booleans.map((objected) => ({
            status,
            unsubscribedAll,
            restricted,
            objected,
            sendable: status === 'subscribed' && !unsubscribedAll && !restricted && !objected,
          })),
        ),
      ),
    );

    it.each(table)(
      'should be sendable=$sendable with membership $status, unsubscribedAll=$unsubscribedAll, restricted=$restricted, objected=$objected',
      ({ status, unsubscribedAll, restricted, objected, sendable }) =>
        expect(
          isSendable(
            active(status === undefined ? undefined : membership(status), {
              unsubscribedAll,
              restricted,
              objected,
            }),
            listId,
          ),
        ).toBe(sendable),
    );

    it('should not be sendable to another list', () =>
      expect(isSendable(active(membership('subscribed')), otherListId)).toBe(false));

    it.each<[string, () => Recipient]>([
      ['empty', () => ({ status: 'Empty' })],
      ['erased', () => stateAfter([added(), subscribed(listId), erased()])],
    ])('should not be sendable when %s', (_, state) =>
      expect(isSendable(state(), listId)).toBe(false),
    );
  });

  describe('When its events are read back from the store', () => {
    const fullHistory = (): RecipientEvent[] => [
      added({ attributes: { plan: 'pro', vip: true, score: 1.5, referrer: null } }),
      subscribed(listId),
      optInRequested(requestId, otherListId),
      optInConfirmed(requestId, otherListId),
      aRecipientCorrected({ recipientId, tenantId, name: null, email: 'Ada@lovelace.org' }),
      restricted(),
      restrictionLifted(),
      unsubscribed(listId),
      objected(),
      unsubscribed(null),
      erased({ historyEvents: 11, membershipsRemoved: 2 }),
    ];

    it('should rebuild the same state from JSON', () => {
      const events = fullHistory();
      const roundTripped = JSON.parse(JSON.stringify(events)) as RecipientEvent[];
      expect(stateAfter(roundTripped)).toEqual(stateAfter(events));
    });

    it('should rebuild the same state from JSON at every step', () => {
      const events = fullHistory();
      for (let n = 1; n <= events.length; n++) {
        const prefix = events.slice(0, n);
        expect(stateAfter(JSON.parse(JSON.stringify(prefix)) as RecipientEvent[])).toEqual(
          stateAfter(prefix),
        );
      }
    });

    it('should produce events that survive JSON', () => {
      const produced = [
        ...recipientDecider.decide(
          anAddRecipient({
            recipientId,
            listIds: [listId],
            consent: { ipAddress: '203.0.113.7' },
            attributes: { plan: 'pro', score: 2, vip: false, referrer: null },
          }),
          recipientDecider.initialState(),
        ),
        ...recipientDecider.decide(
          aRequestOptIn({ recipientId, listId: otherListId, requestId }),
          stateAfter([added()]),
        ),
        ...recipientDecider.decide(
          anEraseRecipient({ recipientId, reference: null }),
          stateAfter([added()]),
        ),
      ];
      expect(JSON.parse(JSON.stringify(produced))).toEqual(produced);
    });

    it('should count every event of the stream, the ones it ignores included', () =>
      expect(
        stateAfter([added(), added(), subscribed(listId), unsubscribed(anId())]),
      ).toMatchObject({
        status: 'Active',
        eventCount: 4,
      }));

    it('should count the erasure and what comes after it', () =>
      expect(stateAfter([added(), erased(), subscribed(listId)])).toMatchObject({
        status: 'Erased',
        eventCount: 3,
      }));

    it.each<[string, () => RecipientEvent[]]>([
      ['a subscription before the recipient exists', () => [subscribed(listId)]],
      [
        'a correction before the recipient exists',
        () => [aRecipientCorrected({ recipientId, tenantId, name: 'X' })],
      ],
      ['an erasure before the recipient exists', () => [erased()]],
      ['an unsubscription before the recipient exists', () => [unsubscribed(null)]],
    ])('should ignore %s', (_, events) =>
      expect(stateAfter(events())).toEqual({ status: 'Empty' }),
    );

    it('should ignore a second RecipientAdded', () =>
      expect(
        stateAfter([
          added({ name: 'First' }),
          added({ name: 'Second', email: 'second@example.com' }),
        ]),
      ).toMatchObject({ status: 'Active', name: 'First', email: defaultRecipientEmail }));

    it('should ignore a confirmation for a list without a request', () =>
      expect(stateAfter([added(), optInConfirmed(requestId, listId)])).toMatchObject({
        status: 'Active',
        memberships: {},
      }));

    it('should ignore a confirmation of another request', () =>
      expect(
        stateAfter([added(), optInRequested(requestId, listId), optInConfirmed(anId(), listId)]),
      ).toMatchObject({
        status: 'Active',
        memberships: { [listId]: { status: 'pending', optIn: { requestId } } },
      }));

    it('should ignore a confirmation for a list the person left', () =>
      expect(
        stateAfter([
          added(),
          optInRequested(requestId, listId),
          unsubscribed(listId),
          optInConfirmed(requestId, listId),
        ]),
      ).toMatchObject({ status: 'Active', memberships: { [listId]: { status: 'unsubscribed' } } }));

    it('should ignore a confirmation for a list joined without one', () => {
      const state = stateAfter([added(), subscribed(listId), optInConfirmed(requestId, listId)]);
      expect(state).toMatchObject({
        status: 'Active',
        memberships: { [listId]: { status: 'subscribed' } },
      });
      expect(state.status === 'Active' && state.memberships[listId]?.confirmedAt).toBe(undefined);
    });

    it('should ignore an unsubscription from a list it never joined', () =>
      expect(stateAfter([added(), unsubscribed(listId)])).toMatchObject({
        status: 'Active',
        memberships: {},
        unsubscribedAll: false,
      }));

    it('should ignore everything after the erasure', () => {
      const erasure = erased();
      expect(
        stateAfter([
          added(),
          erasure,
          subscribed(listId),
          aRecipientCorrected({ recipientId, tenantId, name: 'Back' }),
        ]),
      ).toEqual({ status: 'Erased', recipientId, tenantId, erasure: erasure.data, eventCount: 4 });
    });

    it('should count the stream for the erasure, whatever it holds', () =>
      given(fullHistory().slice(0, -1))
        .when(anEraseRecipient({ recipientId, tenantId, requestId, now }))
        .then([erased({ requestId, erasedAt: at, historyEvents: 11, membershipsRemoved: 2 })]));
  });

  describe('When given a command it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        recipientDecider.decide(
          { type: 'ForgetRecipient' } as unknown as RecipientCommand,
          recipientDecider.initialState(),
        ),
      ).toThrow('Unknown recipient command: ForgetRecipient'));
  });

  describe('When given an event it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        recipientDecider.evolve(stateAfter([added()]), {
          type: 'RecipientForgotten',
        } as unknown as RecipientEvent),
      ).toThrow('Unknown recipient event: RecipientForgotten'));
  });

  describe('Errors', () => {
    it('should be domain errors with a code and a kind', () => {
      const error = new RecipientError('RECIPIENT_NOT_FOUND');
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'RecipientError',
        code: 'RECIPIENT_NOT_FOUND',
        kind: 'NOT_FOUND',
        message: 'RECIPIENT_NOT_FOUND',
      });
    });

    it.each(Object.entries(recipientErrorKinds) as Array<[RecipientErrorCode, string]>)(
      'should give %s the kind %s',
      (code, kind) => {
        expect(DOMAIN_ERROR_KINDS).toContain(kind);
        expect(new RecipientError(code).kind).toBe(kind);
      },
    );

    it('should have a kind for every code', () =>
      expect(Object.keys(recipientErrorKinds).sort()).toEqual([
        'ALREADY_UNSUBSCRIBED',
        'INVALID_ATTRIBUTES',
        'INVALID_CONSENT',
        'INVALID_EMAIL',
        'INVALID_LEGAL_BASIS',
        'INVALID_RECIPIENT_NAME',
        'INVALID_REFERENCE',
        'NOT_SUBSCRIBED',
        'OPT_IN_EXPIRED',
        'OPT_IN_NOT_PENDING',
        'OPT_IN_TOKEN_INVALID',
        'RECIPIENT_ALREADY_EXISTS',
        'RECIPIENT_EMAIL_TAKEN',
        'RECIPIENT_ERASED',
        'RECIPIENT_NOT_FOUND',
        'RECIPIENT_OBJECTED',
        'RECIPIENT_RESTRICTED',
        'RECIPIENT_SUPPRESSED',
        'SUPPRESSION_NOT_FOUND',
      ]));

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(recipientErrorKinds).filter(([code]) =>
        code.startsWith('INVALID_'),
      );
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
    });

    it.each<[RecipientErrorCode, string]>([
      ['RECIPIENT_NOT_FOUND', 'NOT_FOUND'],
      ['RECIPIENT_ALREADY_EXISTS', 'CONFLICT'],
      ['RECIPIENT_ERASED', 'CONFLICT'],
      ['RECIPIENT_SUPPRESSED', 'CONFLICT'],
      ['OPT_IN_EXPIRED', 'CONFLICT'],
    ])('should map %s to %s', (code, kind) => expect(new RecipientError(code).kind).toBe(kind));
  });

  describe('Streams', () => {
    it('should name its stream recipient-<id>', () => {
      expect(RECIPIENT_STREAM_CATEGORY).toBe('recipient');
      expect(toRecipientStreamId(recipientId)).toBe(`recipient-${recipientId}`);
    });

    it('should list its event types', () =>
      expect([...RECIPIENT_EVENT_TYPES].sort()).toEqual([
        'OptInConfirmed',
        'OptInRequested',
        'RecipientAdded',
        'RecipientCorrected',
        'RecipientErased',
        'RecipientObjected',
        'RecipientRestricted',
        'RecipientRestrictionLifted',
        'RecipientSubscribed',
        'RecipientUnsubscribed',
      ]));

    it('should list every event it can build', () => {
      const every: RecipientEvent[] = [
        aRecipientAdded(),
        aRecipientCorrected(),
        aRecipientSubscribed(),
        anOptInRequested(),
        anOptInConfirmed(),
        aRecipientUnsubscribed(),
        aRecipientRestricted(),
        aRecipientRestrictionLifted(),
        aRecipientObjected(),
        aRecipientErased(),
      ];
      expect(new Set(every.map((event) => event.type))).toEqual(new Set(RECIPIENT_EVENT_TYPES));
    });

    it.each([...RECIPIENT_EVENT_TYPES])('should recognise %s as its own', (type) =>
      expect(isRecipientEventType(type)).toBe(true),
    );

    it.each([['ContactListCreated'], ['toString'], ['__proto__'], ['']])(
      'should not recognise %p',
      (type) => expect(isRecipientEventType(type)).toBe(false),
    );
  });
});
