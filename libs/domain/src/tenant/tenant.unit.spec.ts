import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  API_KEY_ROLES,
  DomainError,
  RETENTION_POLICY_KINDS,
  TENANT_EVENT_TYPES,
  TENANT_LIMITS,
  TENANT_PLANS,
  TenantError,
  evolveAll,
  tenantDecider,
  tenantErrorKinds,
  toTenantStreamId,
  type ApiKeyRole,
  type RetentionPolicyKind,
  type TenantCommand,
  type TenantErrorCode,
  type TenantEvent,
} from '#domain';

import { aNow, anId } from '../../../testing/src/builders/common.builders.js';
import {
  aChangeApiKeyRole,
  aCreateTenant,
  aPauseTenantSending,
  aResumeTenantSending,
  aRevokeApiKey,
  aTenantCreated,
  aTenantSendingPaused,
  aTenantSendingResumed,
  anApiKeyHash,
  anApiKeyIssued,
  anApiKeyRevoked,
  anIssueApiKey,
} from '../../../testing/src/builders/tenant.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(tenantDecider);

const OWNER_ID = '6f1d2c1e-8a55-4b8e-9d43-0c1f2e3a4b5c';
const withCode = (code: TenantErrorCode) => (error: TenantError) => error.code === code;

describe('Tenant', () => {
  const now = aNow();
  let tenantId: string;
  let keyId: string;

  beforeEach(() => {
    tenantId = anId();
    keyId = anId();
  });

  const created = () => aTenantCreated({ tenantId });
  const issued = () => anApiKeyIssued({ tenantId, keyId });
  const revoked = () => anApiKeyRevoked({ tenantId, keyId });

  describe('When it does not exist yet', () => {
    it('should create it with a trimmed name', () =>
      given([])
        .when(aCreateTenant({ tenantId, name: '  Acme Ltd ', plan: 'pro', now }))
        .then([
          {
            type: 'TenantCreated',
            data: {
              tenantId,
              name: 'Acme Ltd',
              plan: 'pro',
              owner: null,
              createdAt: now.toISOString(),
            },
          },
        ]));

    it('should record its first owner with a normalised email', () =>
      given([])
        .when(
          aCreateTenant({
            tenantId,
            name: 'Acme Ltd',
            plan: 'pro',
            owner: { accountId: keyId, email: ' Ada.Lovelace@Example.COM ', name: ' Ada ' },
            now,
          }),
        )
        .then([
          {
            type: 'TenantCreated',
            data: {
              tenantId,
              name: 'Acme Ltd',
              plan: 'pro',
              owner: { accountId: keyId, email: 'Ada.Lovelace@example.com', name: 'Ada' },
              createdAt: now.toISOString(),
            },
          },
        ]));

    it.each([
      ['an invalid email', { accountId: OWNER_ID, email: 'not-an-email' }, 'INVALID_OWNER_EMAIL'],
      ['an account id that is not a UUID', { accountId: 'x', email: 'a@b.co' }, 'INVALID_OWNER'],
      [
        'a name with a line break',
        { accountId: OWNER_ID, email: 'a@b.co', name: 'A\nB' },
        'INVALID_OWNER',
      ],
    ] as const)('should reject an owner with %s', (_, owner, code) =>
      given([])
        .when(aCreateTenant({ tenantId, owner }))
        .thenThrows(TenantError, (e) => e.code === code),
    );

    it.each(TENANT_PLANS.map((plan) => [plan]))('should create it on the %s plan', (plan) =>
      given([])
        .when(aCreateTenant({ tenantId, plan }))
        .then([aTenantCreated({ tenantId, plan, createdAt: now.toISOString() })]),
    );

    it('should be Active once created, with no API key', () =>
      given([])
        .when(aCreateTenant({ tenantId, name: 'Acme Ltd', plan: 'free', now }))
        .thenState({
          status: 'Active',
          tenantId,
          name: 'Acme Ltd',
          plan: 'free',
          createdAt: now.toISOString(),
          apiKeys: new Map(),
          retention: {},
          owner: null,
          sendingPaused: null,
        }));

    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['too long', 'a'.repeat(TENANT_LIMITS.nameMaxLength + 1)],
    ])('should reject a name that is %s', (_, name) =>
      given([])
        .when(aCreateTenant({ tenantId, name }))
        .thenThrows(TenantError, withCode('INVALID_TENANT_NAME')),
    );

    it('should accept a name of 120 characters once trimmed', () =>
      given([])
        .when(aCreateTenant({ tenantId, name: `  ${'a'.repeat(120)}  ` }))
        .thenStateMatches({ status: 'Active', name: 'a'.repeat(120) }));

    it.each([['platinum'], ['PRO'], ['']])('should reject the unknown plan "%s"', (plan) =>
      given([])
        .when(aCreateTenant({ tenantId, plan }))
        .thenThrows(TenantError, withCode('INVALID_PLAN')),
    );

    it('should not issue an API key', () =>
      given([])
        .when(anIssueApiKey({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('TENANT_NOT_FOUND')));

    it('should not revoke an API key', () =>
      given([])
        .when(aRevokeApiKey({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('TENANT_NOT_FOUND')));
  });

  describe('When created', () => {
    it('should not create it again', () =>
      given([created()])
        .when(aCreateTenant({ tenantId }))
        .thenThrows(TenantError, withCode('TENANT_ALREADY_EXISTS')));

    it('should issue an API key', () => {
      const keyHash = anApiKeyHash();
      given([created()])
        .when(
          anIssueApiKey({ tenantId, keyId, keyHash, role: 'admin', label: ' CI deploys ', now }),
        )
        .then([
          {
            type: 'ApiKeyIssued',
            data: {
              tenantId,
              keyId,
              keyHash,
              role: 'admin',
              label: 'CI deploys',
              issuedAt: now.toISOString(),
            },
          },
        ]);
    });

    it.each(API_KEY_ROLES.map((role) => [role]))('should issue a key with the %s role', (role) => {
      const command = anIssueApiKey({ tenantId, keyId, role, now });
      given([created()])
        .when(command)
        .then([{ type: 'ApiKeyIssued', data: { ...command.data, issuedAt: now.toISOString() } }]);
    });

    it('should store the key hash in lower case', () => {
      const keyHash = anApiKeyHash();
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, keyHash: keyHash.toUpperCase(), now }))
        .then([anApiKeyIssued({ tenantId, keyId, keyHash, issuedAt: now.toISOString() })]);
    });

    it('should hold the issued key, not revoked', () => {
      const keyHash = anApiKeyHash();
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, keyHash, role: 'viewer', label: 'Grafana', now }))
        .thenStateMatches({
          status: 'Active',
          apiKeys: new Map([
            [
              keyId,
              {
                keyId,
                keyHash,
                role: 'viewer',
                label: 'Grafana',
                issuedAt: now.toISOString(),
                revokedAt: null,
              },
            ],
          ]),
        });
    });

    it.each([
      ['empty', ''],
      ['too short', 'ab'.repeat(31)],
      ['too long', 'ab'.repeat(33)],
      ['not hex', 'g'.repeat(64)],
      ['base64, not hex', 'q'.repeat(43) + '='],
    ])('should reject a key hash that is %s', (_, keyHash) =>
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, keyHash }))
        .thenThrows(TenantError, withCode('INVALID_API_KEY_HASH')),
    );

    it.each([['superuser'], ['Owner'], ['']])('should reject the unknown role "%s"', (role) =>
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, role: role as ApiKeyRole }))
        .thenThrows(TenantError, withCode('INVALID_API_KEY_ROLE')),
    );

    it.each([
      ['blank', '  '],
      ['too long', 'l'.repeat(TENANT_LIMITS.apiKeyLabelMaxLength + 1)],
    ])('should reject a key label that is %s', (_, label) =>
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, label }))
        .thenThrows(TenantError, withCode('INVALID_API_KEY_LABEL')),
    );

    it('should not revoke a key it never issued', () =>
      given([created()])
        .when(aRevokeApiKey({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('API_KEY_NOT_FOUND')));

    it('should treat key ids that look like object properties as plain ids', () =>
      given([created()])
        .when(aRevokeApiKey({ tenantId, keyId: 'constructor' }))
        .thenThrows(TenantError, withCode('API_KEY_NOT_FOUND')));
  });

  describe('When an API key is issued', () => {
    it('should not issue another key with the same id', () =>
      given([created(), issued()])
        .when(anIssueApiKey({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('API_KEY_ALREADY_EXISTS')));

    it('should issue a key with another id', () => {
      const command = anIssueApiKey({ tenantId, keyId: anId(), now });
      given([created(), issued()])
        .when(command)
        .then([{ type: 'ApiKeyIssued', data: { ...command.data, issuedAt: now.toISOString() } }]);
    });

    it('should revoke it', () =>
      given([created(), issued()])
        .when(aRevokeApiKey({ tenantId, keyId, now }))
        .then([
          { type: 'ApiKeyRevoked', data: { tenantId, keyId, revokedAt: now.toISOString() } },
        ]));

    it('should mark it revoked', () => {
      const key = issued().data;
      given([created(), anApiKeyIssued(key)])
        .when(aRevokeApiKey({ tenantId, keyId, now }))
        .thenStateMatches({
          status: 'Active',
          apiKeys: new Map([
            [
              keyId,
              {
                keyId,
                keyHash: key.keyHash,
                role: key.role,
                label: key.label,
                issuedAt: key.issuedAt,
                revokedAt: now.toISOString(),
              },
            ],
          ]),
        });
    });
  });

  describe('When an API key is revoked', () => {
    it('should record nothing when revoked again', () =>
      given([created(), issued(), revoked()])
        .when(aRevokeApiKey({ tenantId, keyId }))
        .thenNothing());

    it('should not issue a new key with the revoked id', () =>
      given([created(), issued(), revoked()])
        .when(anIssueApiKey({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('API_KEY_ALREADY_EXISTS')));
  });

  describe('When roles change', () => {
    const ownerKey = () => anApiKeyIssued({ tenantId, keyId, role: 'owner' });

    it('should record the new role and the previous one', () =>
      given([created(), issued()])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'support', byRole: 'admin', now }))
        .then([
          {
            type: 'ApiKeyRoleChanged',
            data: {
              tenantId,
              keyId,
              role: 'support',
              previousRole: 'marketer',
              changedAt: now.toISOString(),
            },
          },
        ]));

    it('should hold the new role', () => {
      const key = issued();
      given([created(), key])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'auditor' }))
        .thenStateMatches({
          status: 'Active',
          apiKeys: new Map([
            [
              keyId,
              {
                keyId,
                keyHash: key.data.keyHash,
                role: 'auditor',
                label: key.data.label,
                issuedAt: key.data.issuedAt,
                revokedAt: null,
              },
            ],
          ]),
        });
    });

    it('should record nothing when the role is the same', () =>
      given([created(), issued()])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'marketer' }))
        .thenNothing());

    it('should not re-role a revoked key', () =>
      given([created(), issued(), revoked()])
        .when(aChangeApiKeyRole({ tenantId, keyId }))
        .thenThrows(TenantError, withCode('API_KEY_NOT_FOUND')));

    it('should refuse an unknown role', () =>
      given([created(), issued()])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'root' as ApiKeyRole }))
        .thenThrows(TenantError, withCode('INVALID_API_KEY_ROLE')));

    it.each(['admin', 'marketer', 'support', 'auditor', 'viewer'] as const)(
      'should not let a(n) %s grant the owner role, issue an owner key or touch an owner key',
      (byRole) => {
        given([created(), issued()])
          .when(aChangeApiKeyRole({ tenantId, keyId, role: 'owner', byRole }))
          .thenThrows(TenantError, withCode('OWNER_KEY_PROTECTED'));
        given([created()])
          .when(anIssueApiKey({ tenantId, keyId, role: 'owner', byRole }))
          .thenThrows(TenantError, withCode('OWNER_KEY_PROTECTED'));
        given([created(), ownerKey(), anApiKeyIssued({ tenantId, role: 'owner' })])
          .when(aRevokeApiKey({ tenantId, keyId, byRole }))
          .thenThrows(TenantError, withCode('OWNER_KEY_PROTECTED'));
        given([created(), ownerKey(), anApiKeyIssued({ tenantId, role: 'owner' })])
          .when(aChangeApiKeyRole({ tenantId, keyId, role: 'viewer', byRole }))
          .thenThrows(TenantError, withCode('OWNER_KEY_PROTECTED'));
      },
    );

    it('should let an owner demote another owner key', () =>
      given([created(), ownerKey(), anApiKeyIssued({ tenantId, role: 'owner' })])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'admin', byRole: 'owner' }))
        .then([expect.objectContaining({ type: 'ApiKeyRoleChanged' }) as never]));

    it('should never revoke or demote the last owner key', () => {
      given([created(), ownerKey()])
        .when(aRevokeApiKey({ tenantId, keyId, byRole: 'owner' }))
        .thenThrows(TenantError, withCode('LAST_OWNER_KEY'));
      given([created(), ownerKey(), anApiKeyIssued({ tenantId, role: 'admin' })])
        .when(aChangeApiKeyRole({ tenantId, keyId, role: 'admin' }))
        .thenThrows(TenantError, withCode('LAST_OWNER_KEY'));
    });
  });

  describe('When addressed with another tenant id', () => {
    it.each<[string, () => TenantCommand]>([
      ['issue a key', () => anIssueApiKey({ tenantId: anId(), keyId: anId() })],
      ['revoke a key', () => aRevokeApiKey({ tenantId: anId(), keyId })],
    ])('should not %s: TENANT_NOT_FOUND', (_, command) =>
      given([created(), issued()])
        .when(command())
        .thenThrows(TenantError, withCode('TENANT_NOT_FOUND')),
    );
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events: TenantEvent[] = [created(), issued(), revoked()];
      const roundTripped = JSON.parse(JSON.stringify(events)) as TenantEvent[];
      expect(evolveAll(tenantDecider, roundTripped)).toEqual(evolveAll(tenantDecider, events));
    });

    it('should ignore an event that cannot apply to its state', () =>
      expect(evolveAll(tenantDecider, [issued(), revoked()])).toEqual({ status: 'Empty' }));
  });

  describe('Errors', () => {
    it('should be domain errors with a code and a kind', () => {
      const error = new TenantError('TENANT_NOT_FOUND');
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        name: 'TenantError',
        code: 'TENANT_NOT_FOUND',
        kind: 'NOT_FOUND',
      });
    });

    it.each<[TenantErrorCode, string]>([
      ['TENANT_NOT_FOUND', 'NOT_FOUND'],
      ['API_KEY_NOT_FOUND', 'NOT_FOUND'],
      ['TENANT_ALREADY_EXISTS', 'CONFLICT'],
      ['API_KEY_ALREADY_EXISTS', 'CONFLICT'],
    ])('should map %s to %s', (code, kind) => expect(new TenantError(code).kind).toBe(kind));

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(tenantErrorKinds).filter(([code]) =>
        code.startsWith('INVALID_'),
      );
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
    });
  });

  describe('When a retention policy is set', () => {
    const setPolicy = (kind: string, days: number | null): TenantCommand => ({
      type: 'SetRetentionPolicy',
      data: { tenantId, kind: kind as RetentionPolicyKind, days },
      metadata: { now },
    });
    const policySet = (kind: RetentionPolicyKind, days: number | null): TenantEvent => ({
      type: 'RetentionPolicySet',
      data: { tenantId, kind, days, setAt: now.toISOString() },
    });

    it.each(RETENTION_POLICY_KINDS.map((kind) => [kind]))('should record a %s policy', (kind) =>
      given([aTenantCreated({ tenantId })])
        .when(setPolicy(kind, 30))
        .then([policySet(kind, 30)]),
    );

    it('should record nothing when the same period is set again', () =>
      given([aTenantCreated({ tenantId }), policySet('inactive_recipients', 365)])
        .when(setPolicy('inactive_recipients', 365))
        .thenNothing());

    it('should remove a policy with null, and keep it in the state until then', () =>
      given([aTenantCreated({ tenantId }), policySet('unsubscribed_recipients', 90)])
        .when(setPolicy('unsubscribed_recipients', null))
        .thenStateMatches({ status: 'Active', retention: {} }));

    it.each<[string, string, number | null]>([
      ['an unknown kind', 'forever', 30],
      ['zero days', 'inactive_recipients', 0],
      ['negative days', 'inactive_recipients', -5],
      ['a fraction', 'inactive_recipients', 1.5],
      ['more than ten years', 'inactive_recipients', 3651],
      ['NaN', 'inactive_recipients', Number.NaN],
    ])('should reject %s', (_, kind, days) =>
      given([aTenantCreated({ tenantId })])
        .when(setPolicy(kind, days))
        .thenThrows(TenantError, (e) => e.code === 'INVALID_RETENTION_POLICY'),
    );

    it('should reject a policy for an unknown tenant', () =>
      given([])
        .when(setPolicy('inactive_recipients', 30))
        .thenThrows(TenantError, (e) => e.code === 'TENANT_NOT_FOUND'));
  });

  describe('When the owner account asks to be erased', () => {
    const accountId = '6b1f0d4e-3c2a-4f5b-9e8d-7c6b5a4f3e2d';
    const requestId = '0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
    const created = () =>
      aTenantCreated({ tenantId, owner: { accountId, email: 'owner@example.org', name: 'Olga' } });
    const erase = (id = accountId): TenantCommand => ({
      type: 'EraseAccount',
      data: {
        tenantId,
        accountId: id,
        requestId,
        basis: 'gdpr_art17',
        requestedBy: 'operator:cli',
      },
      metadata: { now },
    });
    const erased = (): TenantEvent => ({
      type: 'AccountErased',
      data: {
        tenantId,
        accountId,
        requestId,
        basis: 'gdpr_art17',
        requestedBy: 'operator:cli',
        erasedAt: now.toISOString(),
      },
    });

    it('should record the erasure without personal data', () =>
      given([created()]).when(erase()).then([erased()]));

    it('should record nothing the second time', () =>
      given([created(), erased()]).when(erase()).thenNothing());

    it('should reject an account that is not this tenant’s', () =>
      given([created()])
        .when(erase('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'))
        .thenThrows(TenantError, (e) => e.code === 'ACCOUNT_NOT_FOUND'));
  });

  describe('When its sending is paused', () => {
    const later = new Date(now.getTime() + 60 * 60 * 1000);
    const measured = { rate: 0.12, threshold: 0.1, windowHours: 24, messages: 200 };
    const pause = (over: Partial<Parameters<typeof aPauseTenantSending>[0]> = {}) =>
      aPauseTenantSending({ tenantId, now, ...over });
    const paused = () => aTenantSendingPaused({ tenantId, pausedAt: now.toISOString() });
    const resumed = () => aTenantSendingResumed({ tenantId, resumedAt: later.toISOString() });

    it('should pause it automatically with the rate it measured', () =>
      given([created()])
        .when(pause({ reason: 'bounce_rate', measured }))
        .then([
          {
            type: 'TenantSendingPaused',
            data: { tenantId, reason: 'bounce_rate', ...measured, pausedAt: now.toISOString() },
          },
        ]));

    it('should pause it by hand with no figures', () =>
      given([created()])
        .when(pause({ reason: 'manual' }))
        .then([
          {
            type: 'TenantSendingPaused',
            data: {
              tenantId,
              reason: 'manual',
              rate: null,
              threshold: null,
              windowHours: null,
              messages: null,
              pausedAt: now.toISOString(),
            },
          },
        ]));

    it('should be paused afterwards, with its reason', () =>
      given([created()])
        .when(
          pause({
            reason: 'complaint_rate',
            measured: { ...measured, rate: 0.01, threshold: 0.005 },
          }),
        )
        .thenStateMatches({
          status: 'Active',
          sendingPaused: { reason: 'complaint_rate', pausedAt: now.toISOString() },
        }));

    it('should record nothing when paused already, keeping the first reason', () =>
      given([created(), paused()])
        .when(pause({ reason: 'complaint_rate', now: later }))
        .thenNothing());

    it.each<[string, Partial<Parameters<typeof aPauseTenantSending>[0]>]>([
      ['an unknown reason', { reason: 'tired' as never }],
      ['a rate above 1', { reason: 'bounce_rate', measured: { ...measured, rate: 1.5 } }],
      ['a negative rate', { reason: 'bounce_rate', measured: { ...measured, rate: -0.1 } }],
      [
        'a rate that is not a number',
        { reason: 'bounce_rate', measured: { ...measured, rate: NaN } },
      ],
      ['a threshold above 1', { reason: 'bounce_rate', measured: { ...measured, threshold: 2 } }],
      ['a window of no hour', { reason: 'bounce_rate', measured: { ...measured, windowHours: 0 } }],
      [
        'a window of part hours',
        { reason: 'bounce_rate', measured: { ...measured, windowHours: 1.5 } },
      ],
      [
        'a negative message count',
        { reason: 'bounce_rate', measured: { ...measured, messages: -1 } },
      ],
      [
        'a message count not whole',
        { reason: 'bounce_rate', measured: { ...measured, messages: 2.5 } },
      ],
    ])('should reject a pause with %s', (_, over) =>
      given([created()])
        .when(pause(over))
        .thenThrows(TenantError, withCode('INVALID_SENDING_PAUSE')),
    );

    it('should resume it', () =>
      given([created(), paused()])
        .when(aResumeTenantSending({ tenantId, now: later }))
        .then([resumed()]));

    it('should not be paused once resumed, and may be paused again', () => {
      given([created(), paused()])
        .when(aResumeTenantSending({ tenantId, now: later }))
        .thenStateMatches({ status: 'Active', sendingPaused: null });
      given([created(), paused(), resumed()])
        .when(pause({ reason: 'manual', now: later }))
        .thenStateMatches({
          status: 'Active',
          sendingPaused: { reason: 'manual', pausedAt: later.toISOString() },
        });
    });

    it('should record nothing when resumed while not paused', () =>
      given([created()]).when(aResumeTenantSending({ tenantId })).thenNothing());

    it('should record nothing when resumed twice', () =>
      given([created(), paused(), resumed()])
        .when(aResumeTenantSending({ tenantId, now: later }))
        .thenNothing());

    it.each<[string, () => TenantCommand]>([
      ['paused', () => pause({ reason: 'manual' })],
      ['resumed', () => aResumeTenantSending({ tenantId })],
    ])('should not be %s when it does not exist: TENANT_NOT_FOUND', (_, command) =>
      given([]).when(command()).thenThrows(TenantError, withCode('TENANT_NOT_FOUND')),
    );

    it.each<[string, () => TenantCommand]>([
      ['paused', () => pause({ reason: 'manual', tenantId: anId() })],
      ['resumed', () => aResumeTenantSending({ tenantId: anId() })],
    ])('should not be %s under another tenant id: TENANT_NOT_FOUND', (_, command) =>
      given([created(), paused()])
        .when(command())
        .thenThrows(TenantError, withCode('TENANT_NOT_FOUND')),
    );

    it('should map INVALID_SENDING_PAUSE to BAD_USER_INPUT', () =>
      expect(tenantErrorKinds.INVALID_SENDING_PAUSE).toBe('BAD_USER_INPUT'));
  });

  describe('When an account issues a key from its session', () => {
    it('should record the account the key belongs to', () => {
      const accountId = anId();
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, accountId, now }))
        .then([expect.objectContaining({ data: expect.objectContaining({ accountId }) }) as never]);
    });

    it('should refuse an account id that is not a UUID', () =>
      given([created()])
        .when(anIssueApiKey({ tenantId, keyId, accountId: 'ada' }))
        .thenThrows(TenantError, withCode('ACCOUNT_NOT_FOUND')));
  });

  describe('Streams', () => {
    it('should name its stream tenant-<id>', () =>
      expect(toTenantStreamId(tenantId)).toBe(`tenant-${tenantId}`));

    it('should list its event types', () =>
      expect([...TENANT_EVENT_TYPES].sort()).toEqual([
        'AccountErased',
        'ApiKeyIssued',
        'ApiKeyRevoked',
        'ApiKeyRoleChanged',
        'RetentionPolicySet',
        'TenantCreated',
        'TenantSendingPaused',
        'TenantSendingResumed',
      ]));
  });
});
