import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toRetentionStreamId } from '#domain';
import { ERASED } from '#privacy';
import { sqlBackends, tablesHoldingMarker } from '#testing';

import { cliCaller } from '../src/cli/cli-caller.js';
import { runRecipientCommand } from '../src/cli/recipient.commands.js';
import { ApiTestApp } from './api-test-app.js';

const SET = `mutation($input: SetRetentionPolicyInput!) { setRetentionPolicy(input: $input) { kind days } }`;
const POLICIES = `{ retentionPolicies { kind days } }`;
const RUN = `mutation { runRetention { runId recipientsErased policies { kind days removed } } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`;
const GET = `query($id: ID!) { recipient(id: $id) { status email } }`;
const RECEIPT = `query($id: ID!) { erasureReceipt(recipientId: $id) { basis reference } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const EXPORT_ACCOUNT = `mutation { exportAccountData { accountId json } }`;
const ERASE_ACCOUNT = `mutation($input: EraseAccountInput!) { eraseAccount(input: $input) { accountId erasedAt alreadyErased } }`;
const VIEWER = `{ viewer { tenant { owner { id email name } } } }`;

const DAY = 24 * 3600 * 1000;

describe.each(sqlBackends())('Retention policies and account-holder rights (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey, tenantId } = await api.createTenant('Retention Ltd'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    key = apiKey,
  ): Promise<T> => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const status = async (id: string) =>
    (await ok<{ recipient: { status: string } }>(GET, { id })).recipient.status;

  describe('When a tenant sets retention policies', () => {
    it('should keep them, replace them and refuse nonsense values', async () => {
      expect(
        (
          await ok<{ setRetentionPolicy: unknown[] }>(SET, {
            input: { kind: 'INACTIVE_RECIPIENTS', days: 400 },
          })
        ).setRetentionPolicy,
      ).toEqual([{ kind: 'INACTIVE_RECIPIENTS', days: 400 }]);
      for (const days of [0, -1, 3651]) {
        const res = await api.graphql(
          SET,
          { input: { kind: 'INACTIVE_RECIPIENTS', days } },
          apiKey,
        );
        expect(res.errors?.[0]?.extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          reason: 'INVALID_RETENTION_POLICY',
        });
      }
      const wrongKind = await api.graphql(SET, { input: { kind: 'FOREVER', days: 3 } }, apiKey);
      expect(wrongKind.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await ok<{ retentionPolicies: unknown[] }>(POLICIES)).retentionPolicies).toEqual([
        { kind: 'INACTIVE_RECIPIENTS', days: 400 },
      ]);
      await ok(SET, { input: { kind: 'INACTIVE_RECIPIENTS', days: null } });
      expect((await ok<{ retentionPolicies: unknown[] }>(POLICIES)).retentionPolicies).toEqual([]);
    });
  });

  describe('When the retention job runs', () => {
    it('should erase what a policy allows no longer, once, and record each run', async () => {
      const listId = (
        await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'Kept' })
      ).createContactList.id;
      const add = async (tag: string) =>
        (
          await ok<{ addRecipient: { id: string } }>(ADD, {
            input: { email: `${tag}.${randomUUID()}@example.org`, listIds: [listId] },
          })
        ).addRecipient.id;
      const leftAll = await add('left-all');
      const leftList = await add('left-list');
      const stays = await add('stays');
      await ok(UNSUBSCRIBE, { input: { id: leftAll } });
      await ok(UNSUBSCRIBE, { input: { id: leftList, listId } });
      await ok(SET, { input: { kind: 'UNSUBSCRIBED_RECIPIENTS', days: 30 } });

      // Nothing is old enough yet.
      const now = (await ok<{ runRetention: { recipientsErased: number } }>(RUN)).runRetention;
      expect(now.recipientsErased).toBe(0);

      const [first] = await api.runtime.retention.run({
        now: new Date(Date.now() + 31 * DAY),
        tenantId,
      });
      expect(first).toMatchObject({
        recipientsErased: 2,
        policies: [{ kind: 'unsubscribed_recipients', days: 30, removed: 2 }],
      });
      expect(await status(leftAll)).toBe('ERASED');
      expect(await status(leftList)).toBe('ERASED');
      expect(await status(stays)).toBe('ACTIVE');
      expect(
        (await ok<{ erasureReceipt: unknown }>(RECEIPT, { id: leftAll })).erasureReceipt,
      ).toEqual({
        basis: 'RETENTION',
        reference: 'retention:unsubscribed_recipients',
      });

      const [second] = await api.runtime.retention.run({
        now: new Date(Date.now() + 31 * DAY),
        tenantId,
      });
      expect(second).toMatchObject({ recipientsErased: 0 });

      await ok(SET, { input: { kind: 'INACTIVE_RECIPIENTS', days: 90 } });
      const [third] = await api.runtime.retention.run({
        now: new Date(Date.now() + 91 * DAY),
        tenantId,
      });
      expect(third!.recipientsErased).toBeGreaterThanOrEqual(1);
      expect(await status(stays)).toBe('ERASED');

      const runs = await api.runtime.store.readStream(toRetentionStreamId(tenantId));
      expect(runs.map((e) => e.type)).toEqual(Array(4).fill('RetentionRunCompleted'));
      expect(runs.map((e) => (e.data as { recipientsErased: number }).recipientsErased)).toEqual([
        0,
        2,
        0,
        third!.recipientsErased,
      ]);
    });

    it('should run from the CLI and print counts only', async () => {
      const lines: string[] = [];
      const code = await runRecipientCommand(
        api.runtime,
        'retention',
        ['run'],
        {},
        (l = '') => lines.push(l),
        await cliCaller(api.runtime, { apiKey }, tenantId),
      );
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(
        new RegExp(`Tenant ${tenantId}: run [0-9a-f-]+, \\d+ recipients erased`),
      );
    });
  });

  describe('When the account holder uses their own rights', () => {
    it('should export their data and erase it through the same shredding path', async () => {
      const email = `owner.${randomUUID()}@example.org`;
      const name = `Owner ${randomUUID()}`;
      const created = await api.runtime.tenants.createTenant({
        name: 'Owned Ltd',
        owner: { email, name },
        actor: 'test:operator',
      });
      await api.runtime.projections.waitFor(created.position!, undefined, 10_000);
      const key = created.apiKey;

      const exported = (
        await ok<{ exportAccountData: { accountId: string; json: string } }>(
          EXPORT_ACCOUNT,
          {},
          key,
        )
      ).exportAccountData;
      const doc = JSON.parse(exported.json) as {
        account: { email: string; name: string };
        apiKeys: Array<Record<string, unknown>>;
      };
      expect(doc.account).toMatchObject({ id: exported.accountId, email, name });
      expect(doc.apiKeys[0]).toMatchObject({ role: 'owner' });
      expect(exported.json).not.toContain(created.apiKey);
      expect(JSON.stringify(doc.apiKeys)).not.toMatch(/hash/i);

      const wrong = await api.graphql(
        ERASE_ACCOUNT,
        { input: { accountId: randomUUID(), basis: 'GDPR_ART17' } },
        key,
      );
      expect(wrong.errors?.[0]?.extensions).toMatchObject({
        code: 'NOT_FOUND',
        reason: 'ACCOUNT_NOT_FOUND',
      });

      const erased = (
        await ok<{ eraseAccount: { alreadyErased: boolean } }>(
          ERASE_ACCOUNT,
          { input: { accountId: exported.accountId, basis: 'GDPR_ART17' } },
          key,
        )
      ).eraseAccount;
      expect(erased.alreadyErased).toBe(false);
      expect(
        (await ok<{ viewer: { tenant: { owner: unknown } } }>(VIEWER, {}, key)).viewer.tenant.owner,
      ).toEqual({ id: exported.accountId, email: ERASED, name: ERASED });
      const after = JSON.parse(
        (await ok<{ exportAccountData: { json: string } }>(EXPORT_ACCOUNT, {}, key))
          .exportAccountData.json,
      ) as {
        account: { email: string; name: string; erasedAt: string | null };
      };
      expect(after.account).toMatchObject({
        email: ERASED,
        name: ERASED,
        erasedAt: expect.any(String),
      });
      expect(
        (
          await ok<{ eraseAccount: { alreadyErased: boolean } }>(
            ERASE_ACCOUNT,
            { input: { accountId: exported.accountId, basis: 'GDPR_ART17' } },
            key,
          )
        ).eraseAccount.alreadyErased,
      ).toBe(true);
      expect(await tablesHoldingMarker(api.runtime.pool, email)).toEqual([]);
      expect(await tablesHoldingMarker(api.runtime.pool, name)).toEqual([]);
      expect(await api.runtime.vault.isShredded(exported.accountId)).toBe(true);
    });
  });
});
