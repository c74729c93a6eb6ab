import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { API_KEY_ROLES, type ApiKeyRole, roleCan } from '#domain';
import { sqlBackends } from '#testing';

import { FIELD_PERMISSIONS, PUBLIC_OPERATIONS } from '../src/auth/operation-permissions.js';
import { ApiTestApp } from './api-test-app.js';
import { schemaOperations } from './schema-operations.js';

const operations = schemaOperations();

const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) {
  unsubscribeRecipient(input: $input) { unsubscribedFromAll }
}`;
const ISSUE = `mutation($input: IssueApiKeyInput!) {
  issueApiKey(input: $input) { secret apiKey { id role } }
}`;

describe.each(sqlBackends())('Role matrix (%s)', (backend) => {
  let api: ApiTestApp;
  const keys = new Map<ApiKeyRole, string>();
  let recipientId: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    const created = await api.runtime.tenants.createTenant({
      name: 'Roles Ltd',
      plan: 'pro',
      owner: { email: `owner.${randomUUID()}@example.org`, name: 'Olive Owner' },
      actor: 'test:operator',
    });
    await api.runtime.projections.waitFor(created.position!, ['api-keys', 'tenants'], 10_000);
    keys.set('owner', created.apiKey);
    for (const role of API_KEY_ROLES.filter((r) => r !== 'owner')) {
      const issued = await api.graphql<{ issueApiKey: { secret: string } }>(
        ISSUE,
        { input: { role: role.toUpperCase(), label: `${role} key` } },
        created.apiKey,
      );
      expect(issued.errors).toBeUndefined();
      keys.set(role, issued.data!.issueApiKey.secret);
    }
    const email = `person.${randomUUID()}@example.org`;
    const added = await api.graphql<{ addRecipient: { id: string } }>(
      ADD,
      { input: { email, name: 'Pat Person' } },
      created.apiKey,
    );
    recipientId = added.data!.addRecipient.id;
    const suppressed = await api.graphql(
      UNSUBSCRIBE,
      { input: { id: recipientId } },
      created.apiKey,
    );
    expect(suppressed.errors).toBeUndefined();
    await api.caughtUp(['suppressions', 'recipients']);
  }, 60_000);
  afterAll(() => api.stop());

  it('should cover every query and mutation of schema.graphql with a permission', () => {
    // Public operations (`login`) hold no permission: every role, and nobody, may call them.
    expect(
      operations
        .map((o) => o.key)
        .filter((key) => !FIELD_PERMISSIONS[key] && !PUBLIC_OPERATIONS.has(key)),
    ).toEqual([]);
  });

  describe.each([...API_KEY_ROLES])('Given a key with the %s role', (role) => {
    it('should be allowed exactly the operations its role holds, and FORBIDDEN the others', async () => {
      const before = await api.runtime.store.lastCommittedPosition();
      const seen: Array<{ operation: string; allowed: boolean; forbidden: boolean }> = [];
      for (const operation of operations) {
        const res = await api.graphql(operation.document, operation.variables, keys.get(role));
        const codes = (res.errors ?? []).map((e) => e.extensions?.code);
        expect(codes).not.toContain('GRAPHQL_VALIDATION_FAILED');
        seen.push({
          operation: operation.key,
          allowed:
            PUBLIC_OPERATIONS.has(operation.key) ||
            roleCan(role, FIELD_PERMISSIONS[operation.key]!),
          forbidden: codes.includes('FORBIDDEN'),
        });
      }
      // Each operation is either allowed by the matrix (and not refused) or refused FORBIDDEN.
      expect(seen.filter((s) => s.allowed === s.forbidden)).toEqual([]);
      expect(seen.some((s) => s.allowed)).toBe(true);
      // A role that may only read leaves the history exactly as it was.
      if (role === 'viewer' || role === 'auditor')
        expect(await api.runtime.store.lastCommittedPosition()).toEqual(before);
    }, 120_000);
  });

  describe('When personal data is reached through a query the role may run', () => {
    const OWNER = `{ viewer { role tenant { name owner { id email name } } } }`;
    const SUPPRESSIONS = `{ suppressions(first: 5) { edges { node { reason recipientId email } } } }`;

    it('should refuse a viewer every personal-data field, and serve the rest', async () => {
      const owner = await api.graphql<{
        viewer: { role: string; tenant: { name: string; owner: unknown } };
      }>(OWNER, {}, keys.get('viewer'));
      expect(owner.data!.viewer).toEqual({
        role: 'VIEWER',
        tenant: { name: 'Roles Ltd', owner: null },
      });
      expect(owner.errors!.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([
        ['FORBIDDEN', 'viewer.tenant.owner.email'],
      ]);

      const suppressions = await api.graphql<{
        suppressions: { edges: Array<{ node: { reason: string; email: string | null } }> };
      }>(SUPPRESSIONS, {}, keys.get('viewer'));
      expect(suppressions.data!.suppressions.edges[0]!.node).toEqual({
        reason: 'UNSUBSCRIBED',
        recipientId,
        email: null,
      });
      expect(suppressions.errors!.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
    });

    it('should serve the same fields to a role that may read personal data', async () => {
      for (const role of ['owner', 'marketer', 'support', 'auditor'] as const) {
        const owner = await api.graphql<{ viewer: { tenant: { owner: { name: string } } } }>(
          OWNER,
          {},
          keys.get(role),
        );
        expect(owner.errors).toBeUndefined();
        expect(owner.data!.viewer.tenant.owner.name).toBe('Olive Owner');
        const suppressions = await api.graphql<{
          suppressions: { edges: Array<{ node: { email: string } }> };
        }>(SUPPRESSIONS, {}, keys.get(role));
        expect(suppressions.errors).toBeUndefined();
        expect(suppressions.data!.suppressions.edges[0]!.node.email).toMatch(/^person\./);
      }
    });
  });

  describe('When keys are managed', () => {
    const KEYS = `{ apiKeys(first: 50) { edges { node { id label role revokedAt } } } }`;
    const CHANGE = `mutation($input: ChangeApiKeyRoleInput!) {
      changeApiKeyRole(input: $input) { id role }
    }`;
    const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
    const ROLE = `{ viewer { role } }`;

    it('should change a role at once (an event), and refuse the key what its new role lacks', async () => {
      const issued = await api.graphql<{ issueApiKey: { secret: string; apiKey: { id: string } } }>(
        ISSUE,
        { input: { role: 'MARKETER', label: 'Temp marketer' } },
        keys.get('admin'),
      );
      const { secret, apiKey } = issued.data!.issueApiKey;
      const changed = await api.graphql(
        CHANGE,
        { input: { id: apiKey.id, role: 'VIEWER' } },
        keys.get('admin'),
      );
      expect(changed.data).toEqual({ changeApiKeyRole: { id: apiKey.id, role: 'VIEWER' } });
      expect((await api.graphql(ROLE, {}, secret)).data).toEqual({ viewer: { role: 'VIEWER' } });
      const denied = await api.graphql(
        `mutation { createContactList(input: { name: "No" }) { id } }`,
        {},
        secret,
      );
      expect(denied.errors![0]!.extensions!.code).toBe('FORBIDDEN');

      const events = await api.runtime.store.readAll({
        filter: { eventTypes: ['ApiKeyRoleChanged'] },
      });
      expect(events.map((e) => e.data)).toContainEqual(
        expect.objectContaining({ keyId: apiKey.id, role: 'viewer', previousRole: 'marketer' }),
      );

      const revoked = await api.graphql<{ revokeApiKey: { revokedAt: string | null } }>(
        REVOKE,
        { id: apiKey.id },
        keys.get('admin'),
      );
      expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
      expect((await api.graphql(ROLE, {}, secret)).errors![0]!.extensions!.code).toBe(
        'UNAUTHENTICATED',
      );
      const listed = await api.graphql<{
        apiKeys: { edges: Array<{ node: { id: string; revokedAt: string | null } }> };
      }>(KEYS, {}, keys.get('owner'));
      expect(listed.data!.apiKeys.edges.map((e) => e.node.id)).toContain(apiKey.id);
    });

    it('should not let an admin grant or touch the owner role, nor anyone drop the last owner key', async () => {
      const grant = await api.graphql(
        ISSUE,
        { input: { role: 'OWNER', label: 'Sneaky' } },
        keys.get('admin'),
      );
      expect(grant.errors![0]!.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'OWNER_KEY_PROTECTED',
      });
      const me = await api.graphql<{ viewer: { apiKeyId: string } }>(
        `{ viewer { apiKeyId } }`,
        {},
        keys.get('owner'),
      );
      const ownerKeyId = me.data!.viewer.apiKeyId;
      const demote = await api.graphql(
        CHANGE,
        { input: { id: ownerKeyId, role: 'VIEWER' } },
        keys.get('owner'),
      );
      expect(demote.errors![0]!.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'LAST_OWNER_KEY',
      });
      const revoke = await api.graphql(REVOKE, { id: ownerKeyId }, keys.get('admin'));
      expect(revoke.errors![0]!.extensions).toMatchObject({ reason: 'OWNER_KEY_PROTECTED' });
      expect((await api.graphql(ROLE, {}, keys.get('owner'))).data).toEqual({
        viewer: { role: 'OWNER' },
      });
    });

    it('should refuse bad input with typed errors and change nothing', async () => {
      const unknownRole = await api.graphql(
        CHANGE,
        { input: { id: randomUUID(), role: 'ROOT' } },
        keys.get('owner'),
      );
      expect(unknownRole.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      const unknownKey = await api.graphql(
        CHANGE,
        { input: { id: randomUUID(), role: 'VIEWER' } },
        keys.get('owner'),
      );
      expect(unknownKey.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      const emptyLabel = await api.graphql(
        ISSUE,
        { input: { role: 'VIEWER', label: '' } },
        keys.get('owner'),
      );
      expect(emptyLabel.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });
  });
});
