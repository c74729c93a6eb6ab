import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  CONTACT_LIST_EVENT_TYPES,
  CONTACT_LIST_LIMITS,
  CONTACT_LIST_STREAM_CATEGORY,
  ContactListError,
  DomainError,
  contactListDecider,
  contactListErrorKinds,
  evolveAll,
  isContactListEventType,
  toContactListStreamId,
  type ContactListCommand,
  type ContactListErrorCode,
  type ContactListEvent,
} from '#domain';

import { aNow, anId } from '../../../testing/src/builders/common.builders.js';
import {
  aContactListCreated,
  aContactListDeleted,
  aContactListRenamed,
  aCreateContactList,
  aDeleteContactList,
  aRenameContactList,
  defaultContactListTenantId,
} from '../../../testing/src/builders/contact-list.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(contactListDecider);

const withCode = (code: ContactListErrorCode) => (error: ContactListError) => error.code === code;

describe('ContactList', () => {
  const now = aNow();
  const tenantId = defaultContactListTenantId;
  const otherTenantId = anId();
  let listId: string;

  beforeEach(() => {
    listId = anId();
  });

  const created = (name = 'Newsletter subscribers') =>
    aContactListCreated({ listId, tenantId, name });
  const renamed = (name = 'VIP customers') => aContactListRenamed({ listId, tenantId, name });
  const deleted = () => aContactListDeleted({ listId, tenantId });

  const invalidNames: Array<[string, string]> = [
    ['empty', ''],
    ['blank', ' \t '],
    ['too long', 'x'.repeat(CONTACT_LIST_LIMITS.nameMaxLength + 1)],
    ['on two lines (line feed)', 'Customers\nBcc: victim@example.com'],
    ['on two lines (carriage return)', 'Customers\rVIP'],
  ];

  describe('When it does not exist yet', () => {
    it('should create it with a trimmed name', () =>
      given([])
        .when(aCreateContactList({ listId, tenantId, name: '  Newsletter subscribers  ', now }))
        .then([
          {
            type: 'ContactListCreated',
            data: {
              listId,
              tenantId,
              name: 'Newsletter subscribers',
              createdAt: now.toISOString(),
            },
          },
        ]));

    it('should be Active once created', () =>
      given([])
        .when(aCreateContactList({ listId, tenantId, name: 'Customers' }))
        .thenState({ status: 'Active', listId, tenantId, name: 'Customers' }));

    it.each(invalidNames)('should reject a name that is %s', (_, name) =>
      given([])
        .when(aCreateContactList({ listId, name }))
        .thenThrows(ContactListError, withCode('INVALID_CONTACT_LIST_NAME')),
    );

    it('should reject a name that is not a string', () =>
      given([])
        .when(aCreateContactList({ listId, name: 42 as unknown as string }))
        .thenThrows(ContactListError, withCode('INVALID_CONTACT_LIST_NAME')));

    it('should accept a name of 200 characters once trimmed', () =>
      given([])
        .when(aCreateContactList({ listId, name: ` ${'x'.repeat(200)} ` }))
        .thenStateMatches({ status: 'Active', name: 'x'.repeat(200) }));

    it('should not rename it', () =>
      given([])
        .when(aRenameContactList({ listId, tenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')));

    it('should not rename it, even with an invalid name', () =>
      given([])
        .when(aRenameContactList({ listId, tenantId, name: '' }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')));

    it('should not delete it', () =>
      given([])
        .when(aDeleteContactList({ listId, tenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')));
  });

  describe('When active', () => {
    it('should not create it again', () =>
      given([created()])
        .when(aCreateContactList({ listId, tenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_ALREADY_EXISTS')));

    it('should not create it again, even for another tenant', () =>
      given([created()])
        .when(aCreateContactList({ listId, tenantId: otherTenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_ALREADY_EXISTS')));

    it('should not create it again, even with an invalid name', () =>
      given([created()])
        .when(aCreateContactList({ listId, tenantId, name: '' }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_ALREADY_EXISTS')));

    it('should rename it with a trimmed name', () =>
      given([created()])
        .when(aRenameContactList({ listId, tenantId, name: ' VIP customers ', now }))
        .then([
          {
            type: 'ContactListRenamed',
            data: { listId, tenantId, name: 'VIP customers', renamedAt: now.toISOString() },
          },
        ]));

    it('should carry the new name once renamed', () =>
      given([created()])
        .when(aRenameContactList({ listId, tenantId, name: 'VIP customers' }))
        .thenState({ status: 'Active', listId, tenantId, name: 'VIP customers' }));

    it('should rename it again', () =>
      given([created(), renamed('VIP customers')])
        .when(aRenameContactList({ listId, tenantId, name: 'Newsletter subscribers', now }))
        .then([
          aContactListRenamed({
            listId,
            tenantId,
            name: 'Newsletter subscribers',
            renamedAt: now.toISOString(),
          }),
        ]));

    it('should record nothing when renamed to the same name', () =>
      given([created('Customers')])
        .when(aRenameContactList({ listId, tenantId, name: 'Customers' }))
        .thenNothing());

    it('should record nothing when renamed to the same name once trimmed', () =>
      given([created(), renamed('VIP customers')])
        .when(aRenameContactList({ listId, tenantId, name: '  VIP customers \t' }))
        .thenNothing());

    it('should rename it when only the case differs', () =>
      given([created('Customers')])
        .when(aRenameContactList({ listId, tenantId, name: 'customers', now }))
        .then([
          aContactListRenamed({
            listId,
            tenantId,
            name: 'customers',
            renamedAt: now.toISOString(),
          }),
        ]));

    it.each(invalidNames)('should reject a new name that is %s', (_, name) =>
      given([created()])
        .when(aRenameContactList({ listId, tenantId, name }))
        .thenThrows(ContactListError, withCode('INVALID_CONTACT_LIST_NAME')),
    );

    it('should accept a new name of 200 characters', () =>
      given([created()])
        .when(aRenameContactList({ listId, tenantId, name: 'y'.repeat(200) }))
        .thenStateMatches({ status: 'Active', name: 'y'.repeat(200) }));

    it('should delete it', () =>
      given([created()])
        .when(aDeleteContactList({ listId, tenantId, now }))
        .then([
          {
            type: 'ContactListDeleted',
            data: { listId, tenantId, deletedAt: now.toISOString() },
          },
        ]));

    it('should be Deleted once deleted', () =>
      given([created(), renamed()])
        .when(aDeleteContactList({ listId, tenantId }))
        .thenState({ status: 'Deleted', listId, tenantId }));
  });

  describe('When deleted', () => {
    it('should not create it again', () =>
      given([created(), deleted()])
        .when(aCreateContactList({ listId, tenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_ALREADY_EXISTS')));

    it('should not rename it', () =>
      given([created(), deleted()])
        .when(aRenameContactList({ listId, tenantId }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')));

    it('should not rename it, even with an invalid name', () =>
      given([created(), deleted()])
        .when(aRenameContactList({ listId, tenantId, name: ' ' }))
        .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')));

    it('should record nothing when deleted again', () =>
      given([created(), deleted()]).when(aDeleteContactList({ listId, tenantId })).thenNothing());

    it('should stay Deleted when deleted again', () =>
      given([created(), deleted()])
        .when(aDeleteContactList({ listId, tenantId }))
        .thenState({ status: 'Deleted', listId, tenantId }));
  });

  describe('When owned by another tenant', () => {
    const histories: Array<[string, () => ContactListEvent[]]> = [
      ['created', () => [created()]],
      ['renamed', () => [created(), renamed()]],
      ['deleted', () => [created(), deleted()]],
    ];
    const commands: Array<[string, () => ContactListCommand]> = [
      ['rename', () => aRenameContactList({ listId, tenantId: otherTenantId })],
      [
        'rename to an invalid name',
        () => aRenameContactList({ listId, tenantId: otherTenantId, name: '' }),
      ],
      ['delete', () => aDeleteContactList({ listId, tenantId: otherTenantId })],
    ];

    it.each(
      histories.flatMap(([state, history]) =>
        commands.map(([name, command]) => [state, name, history, command] as const),
      ),
    )(
      'should not let it see a %s list: %s is CONTACT_LIST_NOT_FOUND',
      (_state, _name, history, command) =>
        given(history())
          .when(command())
          .thenThrows(ContactListError, withCode('CONTACT_LIST_NOT_FOUND')),
    );
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events: ContactListEvent[] = [created(), renamed(), deleted()];
      const roundTripped = JSON.parse(JSON.stringify(events)) as ContactListEvent[];
      expect(evolveAll(contactListDecider, roundTripped)).toEqual(
        evolveAll(contactListDecider, events),
      );
    });

    it('should produce events that survive JSON', () => {
      const produced = contactListDecider.decide(
        aCreateContactList({ listId, tenantId }),
        contactListDecider.initialState(),
      );
      expect(JSON.parse(JSON.stringify(produced))).toEqual(produced);
    });

    it.each<[string, () => ContactListEvent[]]>([
      ['a rename before the list exists', () => [renamed()]],
      ['a delete before the list exists', () => [deleted()]],
    ])('should ignore %s', (_, events) =>
      expect(evolveAll(contactListDecider, events())).toEqual({ status: 'Empty' }),
    );

    it('should ignore a second creation', () =>
      expect(evolveAll(contactListDecider, [created('First'), created('Second')])).toEqual({
        status: 'Active',
        listId,
        tenantId,
        name: 'First',
      }));

    it('should ignore a rename after deletion', () =>
      expect(evolveAll(contactListDecider, [created(), deleted(), renamed()])).toEqual({
        status: 'Deleted',
        listId,
        tenantId,
      }));
  });

  describe('When given a command it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        contactListDecider.decide(
          { type: 'ArchiveContactList' } as unknown as ContactListCommand,
          contactListDecider.initialState(),
        ),
      ).toThrow('Unknown contact list command: ArchiveContactList'));
  });

  describe('When given an event it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        contactListDecider.evolve(contactListDecider.initialState(), {
          type: 'ContactListArchived',
        } as unknown as ContactListEvent),
      ).toThrow('Unknown contact list event: ContactListArchived'));
  });

  describe('Errors', () => {
    it('should be domain errors with a code and a kind', () => {
      const error = new ContactListError('CONTACT_LIST_NOT_FOUND');
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'ContactListError',
        code: 'CONTACT_LIST_NOT_FOUND',
        kind: 'NOT_FOUND',
      });
    });

    it.each<[ContactListErrorCode, string]>([
      ['CONTACT_LIST_NOT_FOUND', 'NOT_FOUND'],
      ['CONTACT_LIST_ALREADY_EXISTS', 'CONFLICT'],
      ['INVALID_CONTACT_LIST_NAME', 'BAD_USER_INPUT'],
    ])('should map %s to %s', (code, kind) => expect(new ContactListError(code).kind).toBe(kind));

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(contactListErrorKinds).filter(([code]) =>
        code.startsWith('INVALID_'),
      );
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
    });
  });

  describe('Streams', () => {
    it('should name its stream list-<id>', () => {
      expect(CONTACT_LIST_STREAM_CATEGORY).toBe('list');
      expect(toContactListStreamId(listId)).toBe(`list-${listId}`);
    });

    it('should list its event types', () =>
      expect([...CONTACT_LIST_EVENT_TYPES].sort()).toEqual([
        'ContactListCreated',
        'ContactListDeleted',
        'ContactListRenamed',
      ]));

    it.each([...CONTACT_LIST_EVENT_TYPES])('should recognise %s as its own', (type) =>
      expect(isContactListEventType(type)).toBe(true),
    );

    it.each([['CampaignDrafted'], ['toString'], ['']])('should not recognise %p', (type) =>
      expect(isContactListEventType(type)).toBe(false),
    );
  });
});
