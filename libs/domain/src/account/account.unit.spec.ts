import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  ACCOUNT_EVENT_TYPES,
  AccountError,
  accountDecider,
  accountErrorKinds,
  evolveAll,
  toAccountStreamId,
  type AccountErrorCode,
  type AccountEvent,
  type ApiKeyRole,
} from '#domain';

import {
  aChangeAccountPassword,
  aChangeAccountRole,
  aPasswordHash,
  aRegisterAccount,
  anAccountEmailIndex,
  anAccountErased,
  anAccountRegistered,
  anAccountRoleChanged,
  anEraseAccount,
} from '../../../testing/src/builders/account.builders.js';
import { aNow, anId } from '../../../testing/src/builders/common.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(accountDecider);
const withCode = (code: AccountErrorCode) => (error: AccountError) => error.code === code;

describe('Account', () => {
  const now = aNow();
  let tenantId: string;
  let accountId: string;

  beforeEach(() => {
    tenantId = anId();
    accountId = anId();
  });

  const registered = (role: ApiKeyRole = 'marketer') =>
    anAccountRegistered({ tenantId, accountId, role });
  const ids = () => ({ tenantId, accountId });

  describe('When it does not exist yet', () => {
    it('should register it with trimmed fields and a normalised address', () => {
      const passwordHash = aPasswordHash();
      const emailIndex = anAccountEmailIndex('ada@example.org');
      given([])
        .when(
          aRegisterAccount({
            ...ids(),
            email: '  Ada@Example.ORG ',
            emailIndex,
            name: ' Ada ',
            company: ' Engines ',
            passwordHash,
            role: 'admin',
            byRole: 'admin',
            now,
          }),
        )
        .then([
          {
            type: 'AccountRegistered',
            data: {
              ...ids(),
              email: 'Ada@example.org',
              emailIndex,
              name: 'Ada',
              company: 'Engines',
              passwordHash,
              role: 'admin',
              registeredAt: now.toISOString(),
            },
          },
        ]);
    });

    it('should be active with its role afterwards', () =>
      given([])
        .when(aRegisterAccount({ ...ids(), role: 'support' }))
        .thenStateMatches({ status: 'Active', role: 'support', ...ids() }));

    it.each<[string, Parameters<typeof aRegisterAccount>[0], AccountErrorCode]>([
      ['an address without @', { email: 'ada.example.org' }, 'INVALID_ACCOUNT_EMAIL'],
      ['an empty name', { name: '  ' }, 'INVALID_ACCOUNT_NAME'],
      ['a name on two lines', { name: 'Ada\r\nBcc: x@y.z' }, 'INVALID_ACCOUNT_NAME'],
      ['a name too long', { name: 'a'.repeat(201) }, 'INVALID_ACCOUNT_NAME'],
      ['an empty company', { company: '' }, 'INVALID_ACCOUNT_COMPANY'],
      ['a company too long', { company: 'c'.repeat(201) }, 'INVALID_ACCOUNT_COMPANY'],
      ['an unknown role', { role: 'root' as ApiKeyRole }, 'INVALID_ACCOUNT_ROLE'],
      [
        'a password in place of a hash',
        { passwordHash: 'hunter2hunter2' },
        'INVALID_PASSWORD_HASH',
      ],
      [
        'a bcrypt hash',
        { passwordHash: '$2b$10$abcdefghijklmnopqrstuuJ3xZb0JZ0Xb0JZ0Xb0JZ0Xb0JZ0Xb0J' },
        'INVALID_PASSWORD_HASH',
      ],
      ['an email index that is not an HMAC', { emailIndex: 'ada@example.org' }, 'INVALID_ACCOUNT'],
      ['an account id that is not a UUID', { accountId: 'ada' }, 'INVALID_ACCOUNT'],
    ])('should refuse %s', (_, overrides, code) =>
      given([])
        .when(aRegisterAccount({ ...ids(), ...overrides }))
        .thenThrows(AccountError, withCode(code)),
    );

    it.each(['admin', 'marketer', 'support', 'auditor', 'viewer'] as const)(
      'should not let a(n) %s register an owner',
      (byRole) =>
        given([])
          .when(aRegisterAccount({ ...ids(), role: 'owner', byRole }))
          .thenThrows(AccountError, withCode('OWNER_ROLE_PROTECTED')),
    );

    it('should let an owner, or the platform operator, register an owner', () => {
      given([])
        .when(aRegisterAccount({ ...ids(), role: 'owner', byRole: 'owner' }))
        .thenStateMatches({ status: 'Active', role: 'owner' });
      given([])
        .when(aRegisterAccount({ ...ids(), role: 'owner' }))
        .thenStateMatches({ status: 'Active', role: 'owner' });
    });

    it('should not change the password or role of an account that does not exist', () => {
      given([])
        .when(aChangeAccountPassword(ids()))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
      given([])
        .when(aChangeAccountRole(ids()))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
      given([]).when(anEraseAccount(ids())).thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
    });
  });

  describe('When it is registered', () => {
    it('should refuse a second registration: CONFLICT', () =>
      given([registered()])
        .when(aRegisterAccount(ids()))
        .thenThrows(
          AccountError,
          (e) => e.code === 'ACCOUNT_ALREADY_EXISTS' && e.kind === 'CONFLICT',
        ));

    it('should record a new password hash', () => {
      const passwordHash = aPasswordHash();
      given([registered()])
        .when(aChangeAccountPassword({ ...ids(), passwordHash, now }))
        .then([
          {
            type: 'AccountPasswordChanged',
            data: { ...ids(), passwordHash, changedAt: now.toISOString() },
          },
        ]);
    });

    it('should refuse a password change that carries no argon2id hash', () =>
      given([registered()])
        .when(aChangeAccountPassword({ ...ids(), passwordHash: 'plain text password' }))
        .thenThrows(AccountError, withCode('INVALID_PASSWORD_HASH')));

    it('should record a role change with the previous role', () =>
      given([registered('marketer')])
        .when(aChangeAccountRole({ ...ids(), role: 'support', byRole: 'admin', now }))
        .then([
          {
            type: 'AccountRoleChanged',
            data: {
              ...ids(),
              role: 'support',
              previousRole: 'marketer',
              changedAt: now.toISOString(),
            },
          },
        ]));

    it('should hold the new role', () =>
      given([registered('marketer')])
        .when(aChangeAccountRole({ ...ids(), role: 'auditor' }))
        .thenStateMatches({ status: 'Active', role: 'auditor' }));

    it('should record nothing when the role is the same', () =>
      given([registered('viewer')])
        .when(aChangeAccountRole({ ...ids(), role: 'viewer' }))
        .thenNothing());

    it.each(['admin', 'marketer', 'support', 'auditor', 'viewer'] as const)(
      'should not let a(n) %s grant the owner role or change an owner',
      (byRole) => {
        given([registered('admin')])
          .when(aChangeAccountRole({ ...ids(), role: 'owner', byRole }))
          .thenThrows(AccountError, withCode('OWNER_ROLE_PROTECTED'));
        given([registered('owner')])
          .when(aChangeAccountRole({ ...ids(), role: 'viewer', byRole }))
          .thenThrows(AccountError, withCode('OWNER_ROLE_PROTECTED'));
      },
    );

    it('should let an owner demote an owner', () =>
      given([registered('owner')])
        .when(aChangeAccountRole({ ...ids(), role: 'admin', byRole: 'owner' }))
        .thenStateMatches({ status: 'Active', role: 'admin' }));

    it('should refuse an unknown role', () =>
      given([registered()])
        .when(aChangeAccountRole({ ...ids(), role: 'root' as ApiKeyRole }))
        .thenThrows(AccountError, withCode('INVALID_ACCOUNT_ROLE')));

    it('should record its erasure without personal data', () => {
      const requestId = anId();
      given([registered()])
        .when(anEraseAccount({ ...ids(), requestId, now }))
        .then([
          {
            type: 'AccountErased',
            data: {
              ...ids(),
              requestId,
              basis: 'gdpr_art17',
              requestedBy: 'operator:cli',
              erasedAt: now.toISOString(),
            },
          },
        ]);
    });

    it('should refuse an unknown legal basis', () =>
      given([registered()])
        .when(anEraseAccount({ ...ids(), basis: 'because' as never }))
        .thenThrows(AccountError, withCode('INVALID_LEGAL_BASIS')));
  });

  describe('When it was erased', () => {
    const erased = () => anAccountErased({ ...ids(), erasedAt: now.toISOString() });

    it('should be erased, with nothing of its password kept in the state', () =>
      given([registered(), erased()])
        .when(anEraseAccount(ids()))
        .thenState({ status: 'Erased', ...ids(), erasedAt: now.toISOString() }));

    it('should record nothing when erased again', () =>
      given([registered(), erased()]).when(anEraseAccount(ids())).thenNothing());

    it('should change nothing more', () => {
      given([registered(), erased()])
        .when(aChangeAccountPassword(ids()))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
      given([registered(), erased()])
        .when(aChangeAccountRole({ ...ids(), role: 'admin' }))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
    });

    it('should not register on its stream again: ACCOUNT_ERASED (the address takes a new id)', () =>
      given([registered(), erased()])
        .when(aRegisterAccount(ids()))
        .thenThrows(AccountError, withCode('ACCOUNT_ERASED')));
  });

  describe('When addressed with another tenant id', () => {
    it('should not change, re-role or erase it: ACCOUNT_NOT_FOUND', () => {
      const other = { tenantId: anId(), accountId };
      given([registered()])
        .when(aChangeAccountPassword(other))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
      given([registered()])
        .when(aChangeAccountRole({ ...other, role: 'admin' }))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
      given([registered()])
        .when(anEraseAccount(other))
        .thenThrows(AccountError, withCode('ACCOUNT_NOT_FOUND'));
    });
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events: AccountEvent[] = [
        registered(),
        anAccountRoleChanged({ ...ids(), role: 'admin' }),
      ];
      const roundTripped = JSON.parse(JSON.stringify(events)) as AccountEvent[];
      expect(evolveAll(accountDecider, roundTripped)).toEqual(evolveAll(accountDecider, events));
      expect(evolveAll(accountDecider, events)).toMatchObject({ role: 'admin' });
    });

    it('should ignore an event that cannot apply to its state', () =>
      expect(evolveAll(accountDecider, [anAccountRoleChanged(ids())])).toEqual({
        status: 'Empty',
      }));
  });

  describe('Errors and streams', () => {
    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(accountErrorKinds).filter(([c]) => c.startsWith('INVALID_'));
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
      expect(new AccountError('ACCOUNT_ALREADY_EXISTS').kind).toBe('CONFLICT');
      expect(new AccountError('OWNER_ROLE_PROTECTED').kind).toBe('FORBIDDEN');
    });

    it('should name its stream account-<id> and list its event types', () => {
      expect(toAccountStreamId(accountId)).toBe(`account-${accountId}`);
      expect([...ACCOUNT_EVENT_TYPES].sort()).toEqual([
        'AccountErased',
        'AccountPasswordChanged',
        'AccountRegistered',
        'AccountRoleChanged',
      ]);
    });
  });
});
