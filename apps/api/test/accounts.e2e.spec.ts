import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type AccountRegistered, toAccountStreamId } from '#domain';
import { ERASED } from '#privacy';
import { sqlBackends, tablesHoldingMarker } from '#testing';

import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

const REGISTER = `mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) { id email name company role registeredAt erasedAt }
}`;
const LOGIN = `mutation($input: LoginInput!) {
  login(input: $input) { token expiresAt idleExpiresAt account { id role } }
}`;
const LOGOUT = `mutation { logout }`;
const VIEWER = `{ viewer { accountId apiKeyId role tenant { id } } }`;
const CHANGE_ROLE = `mutation($input: ChangeAccountRoleInput!) { changeAccountRole(input: $input) { id role } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) }`;
const REVOKE_SESSIONS = `mutation($id: ID!) { revokeSessions(accountId: $id) }`;
const ACCOUNTS = `query($after: String) {
  accounts(first: 100, after: $after) { edges { node { id email name company role erasedAt } } pageInfo { hasNextPage endCursor } }
}`;
const CREATE_LIST = `mutation { createContactList(input: { name: "From a session" }) { id } }`;
const ERASE_ACCOUNT = `mutation($input: EraseAccountInput!) { eraseAccount(input: $input) { accountId alreadyErased } }`;
const EXPORT_ACCOUNT = `mutation { exportAccountData { json } }`;
const ISSUE_KEY = `mutation($input: IssueApiKeyInput!) { issueApiKey(input: $input) { secret apiKey { id accountId } } }`;
const API_KEYS = `{ apiKeys(first: 100) { edges { node { id lastUsedAt accountId revokedAt } } } }`;

const MINUTE = 60_000;
const PASSWORD = 'correct horse battery staple';

interface LoginResult {
  login: {
    token: string;
    expiresAt: string;
    idleExpiresAt: string;
    account: { id: string; role: string };
  };
}

describe.each(sqlBackends())('Accounts and sessions (%s)', (backend) => {
  let api: ApiTestApp;
  let ownerKey: string;
  let tenantId: string;
  /** The API's clock runs this far ahead of the wall clock: sessions' lifetimes are tested with it. */
  let offsetMs = 0;

  beforeAll(async () => {
    api = await ApiTestApp.start(
      backend,
      // Every request of this file comes from 127.0.0.1: the per-IP limit has its own test below.
      { MAILPACKR_LOGIN_MAX_FAILURES_PER_IP: '1000' },
      { clock: () => new Date(Date.now() + offsetMs) },
    );
    const created = await api.runtime.tenants.createTenant({
      name: 'Accounts Ltd',
      plan: 'pro',
      owner: { email: `owner.${randomUUID()}@example.org`, name: 'Olga Owner' },
      actor: 'test:operator',
    });
    await api.runtime.projections.waitFor(created.position!, ['api-keys', 'tenants'], 10_000);
    ({ apiKey: ownerKey, tenantId } = created);
  }, 60_000);
  afterAll(() => api.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown>, token: string) => {
    const res = await api.graphql<T>(query, variables, token);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions;
  /** An answer without its request id: what a client could compare between two logins. */
  const sameness = (res: GraphQLResponse<unknown>) => ({
    data: res.data,
    errors: res.errors?.map(({ extensions, ...e }) => ({
      ...e,
      extensions: { ...extensions, requestId: undefined },
    })),
  });
  const anEmail = (label = 'person') => `${label}.${randomUUID()}@example.org`;

  const register = async (
    role = 'MARKETER',
    overrides: Record<string, string> = {},
    token = ownerKey,
  ) => {
    const email = overrides.email ?? anEmail();
    const data = await ok<{ registerAccount: { id: string; email: string; role: string } }>(
      REGISTER,
      {
        input: {
          email,
          name: 'Pat Person',
          company: 'Acme',
          password: PASSWORD,
          role,
          ...overrides,
        },
      },
      token,
    );
    return { ...data.registerAccount, email };
  };
  const login = (email: string, password = PASSWORD) =>
    api.graphql<LoginResult>(LOGIN, { input: { email, password } });
  const session = async (email: string, password = PASSWORD) => {
    const res = await login(email, password);
    expect(res.errors).toBeUndefined();
    return res.data!.login;
  };

  describe('When an owner registers a team member who logs in', () => {
    it('should answer a session token that authenticates as the account, with its role', async () => {
      const account = await register('MARKETER');
      expect(account).toMatchObject({ role: 'MARKETER' });
      const signedIn = await session(account.email.toUpperCase());
      expect(signedIn.token).toMatch(/^mps_[A-Za-z0-9_-]{43}$/);
      expect(signedIn.account).toEqual({ id: account.id, role: 'MARKETER' });
      expect(new Date(signedIn.expiresAt).getTime()).toBeGreaterThan(
        new Date(signedIn.idleExpiresAt).getTime(),
      );
      expect((await ok<{ viewer: unknown }>(VIEWER, {}, signedIn.token)).viewer).toEqual({
        accountId: account.id,
        apiKeyId: null,
        role: 'MARKETER',
        tenant: { id: tenantId },
      });
      expect((await api.graphql(CREATE_LIST, {}, signedIn.token)).errors).toBeUndefined();
    });

    it('should refuse a marketer session what its role lacks: FORBIDDEN', async () => {
      const account = await register('MARKETER');
      const { token } = await session(account.email);
      const erase = await api.graphql(
        ERASE_ACCOUNT,
        { input: { accountId: account.id, basis: 'GDPR_ART17' } },
        token,
      );
      expect(codeOf(erase)).toMatchObject({ code: 'FORBIDDEN' });
      const register2 = await api.graphql(
        REGISTER,
        {
          input: { email: anEmail(), name: 'N', company: 'C', password: PASSWORD, role: 'VIEWER' },
        },
        token,
      );
      expect(codeOf(register2)).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('should list the tenant’s accounts for owners, with their personal fields', async () => {
      const account = await register('SUPPORT', { name: 'Sam Support', company: 'Helpdesk Co' });
      const listed = await ok<{ accounts: { edges: Array<{ node: Record<string, unknown> }> } }>(
        ACCOUNTS,
        {},
        ownerKey,
      );
      expect(listed.accounts.edges.map((e) => e.node)).toContainEqual({
        id: account.id,
        email: account.email,
        name: 'Sam Support',
        company: 'Helpdesk Co',
        role: 'SUPPORT',
        erasedAt: null,
      });
    });

    it('should let an owner session register an owner, and refuse it to an admin session', async () => {
      const owner = await register('OWNER');
      const admin = await register('ADMIN');
      const ownerSession = await session(owner.email);
      const adminSession = await session(admin.email);
      expect((await register('OWNER', {}, ownerSession.token)).role).toBe('OWNER');
      const refused = await api.graphql(
        REGISTER,
        { input: { email: anEmail(), name: 'N', company: 'C', password: PASSWORD, role: 'OWNER' } },
        adminSession.token,
      );
      expect(codeOf(refused)).toMatchObject({ code: 'FORBIDDEN', reason: 'OWNER_ROLE_PROTECTED' });
    });
  });

  describe('When a role changes', () => {
    it('should apply to the next request of the account’s open session', async () => {
      const account = await register('MARKETER');
      const { token } = await session(account.email);
      expect(
        (
          await ok<{ changeAccountRole: unknown }>(
            CHANGE_ROLE,
            { input: { id: account.id, role: 'VIEWER' } },
            ownerKey,
          )
        ).changeAccountRole,
      ).toEqual({ id: account.id, role: 'VIEWER' });
      expect((await ok<{ viewer: { role: string } }>(VIEWER, {}, token)).viewer.role).toBe(
        'VIEWER',
      );
      expect(codeOf(await api.graphql(CREATE_LIST, {}, token))).toMatchObject({
        code: 'FORBIDDEN',
      });
      const events = await api.runtime.store.readStream(toAccountStreamId(account.id));
      expect(events.map((e) => e.type)).toEqual(['AccountRegistered', 'AccountRoleChanged']);
      expect(events[1]!.metadata.actor).toMatch(/^api-key:/);
    });

    it('should neither show nor touch an account of another tenant: NOT_FOUND', async () => {
      const other = await api.createTenant('Other Ltd');
      const account = await register('MARKETER');
      const { token } = await session(account.email);
      const res = await api.graphql(
        CHANGE_ROLE,
        { input: { id: account.id, role: 'ADMIN' } },
        other.apiKey,
      );
      expect(codeOf(res)).toMatchObject({ code: 'NOT_FOUND' });
      const revoke = await api.graphql(REVOKE_SESSIONS, { id: account.id }, other.apiKey);
      expect(codeOf(revoke)).toMatchObject({ code: 'NOT_FOUND' });
      const erase = await api.graphql(
        ERASE_ACCOUNT,
        { input: { accountId: account.id, basis: 'GDPR_ART17' } },
        other.apiKey,
      );
      expect(codeOf(erase)).toMatchObject({ code: 'NOT_FOUND' });
      const listed = await ok<{ accounts: { edges: unknown[] } }>(ACCOUNTS, {}, other.apiKey);
      expect(listed.accounts.edges).toEqual([]);
      expect((await ok<{ viewer: { role: string } }>(VIEWER, {}, token)).viewer.role).toBe(
        'MARKETER',
      );
    });
  });

  describe('When a session ends', () => {
    it('should refuse the token after logout: SESSION_REVOKED', async () => {
      const account = await register('VIEWER');
      const { token } = await session(account.email);
      expect((await ok<{ logout: boolean }>(LOGOUT, {}, token)).logout).toBe(true);
      expect(codeOf(await api.graphql(VIEWER, {}, token))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'SESSION_REVOKED',
      });
    });

    it('should end every session of an account with revokeSessions', async () => {
      const account = await register('VIEWER');
      const [a, b] = [await session(account.email), await session(account.email)];
      expect(
        (await ok<{ revokeSessions: number }>(REVOKE_SESSIONS, { id: account.id }, ownerKey))
          .revokeSessions,
      ).toBe(2);
      for (const { token } of [a, b])
        expect(codeOf(await api.graphql(VIEWER, {}, token))).toMatchObject({
          code: 'UNAUTHENTICATED',
          reason: 'SESSION_REVOKED',
        });
    });

    it('should refuse logout and changePassword to an API key: SESSION_REQUIRED', async () => {
      for (const [query, variables] of [
        [LOGOUT, {}],
        [CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` } }],
      ] as const)
        expect(codeOf(await api.graphql(query, variables, ownerKey))).toMatchObject({
          code: 'BAD_USER_INPUT',
          reason: 'SESSION_REQUIRED',
        });
    });

    it('should expire after the idle time, each request moving it on', async () => {
      const account = await register('VIEWER');
      const { token } = await session(account.email);
      offsetMs += 29 * MINUTE;
      expect((await api.graphql(VIEWER, {}, token)).errors).toBeUndefined();
      offsetMs += 29 * MINUTE; // 58 minutes after login, 29 after the last request
      expect((await api.graphql(VIEWER, {}, token)).errors).toBeUndefined();
      offsetMs += 31 * MINUTE;
      expect(codeOf(await api.graphql(VIEWER, {}, token))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'SESSION_EXPIRED',
      });
    });

    it('should expire after its absolute lifetime, however active', async () => {
      const account = await register('VIEWER');
      const signedIn = await session(account.email);
      const expiresAt = new Date(signedIn.expiresAt).getTime();
      let served = 0;
      for (;;) {
        offsetMs += 25 * MINUTE;
        const res = await api.graphql(VIEWER, {}, signedIn.token);
        if (res.errors) {
          expect(codeOf(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_EXPIRED' });
          break;
        }
        served++;
      }
      expect(Date.now() + offsetMs).toBeGreaterThanOrEqual(expiresAt);
      expect(served).toBe(28); // 12 hours of requests every 25 minutes
    });
  });

  describe('When the credentials are wrong', () => {
    it('should answer an unknown address and a wrong password alike, in similar time', async () => {
      const account = await register('VIEWER');
      const unknown = anEmail('nobody');
      await login(anEmail('warm-up'), PASSWORD); // the dummy hash is made on first use
      const timed = async (email: string) => {
        const started = performance.now();
        const res = await login(email, 'not the right password');
        return { res, ms: performance.now() - started };
      };
      const wrong: number[] = [];
      const missing: number[] = [];
      for (let i = 0; i < 5; i++) {
        const a = await timed(account.email);
        const b = await timed(unknown);
        expect(sameness(a.res)).toEqual(sameness(b.res));
        expect(codeOf(a.res)).toMatchObject({
          code: 'UNAUTHENTICATED',
          reason: 'INVALID_CREDENTIALS',
        });
        wrong.push(a.ms);
        missing.push(b.ms);
      }
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[2]!;
      const [w, m] = [median(wrong), median(missing)];
      expect(Math.max(w, m) / Math.min(w, m)).toBeLessThan(2);
    });

    it('should refuse logins to an account after 5 failures, before checking the password', async () => {
      const account = await register('VIEWER');
      for (let i = 0; i < 5; i++)
        expect(codeOf(await login(account.email, 'wrong password!!'))).toMatchObject({
          reason: 'INVALID_CREDENTIALS',
        });
      const refused = await login(account.email); // the right password, too late
      expect(codeOf(refused)).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
      expect(codeOf(refused)!.retryAfterSeconds).toBeGreaterThan(14 * 60);
      expect(refused.data).toBeNull();
    });

    it('should start an account afresh after a successful login', async () => {
      const account = await register('VIEWER');
      for (let i = 0; i < 4; i++) await login(account.email, 'wrong password!!');
      await session(account.email);
      for (let i = 0; i < 4; i++)
        expect(codeOf(await login(account.email, 'wrong password!!'))).toMatchObject({
          reason: 'INVALID_CREDENTIALS',
        });
      await session(account.email);
    });

    it('should refuse an erased account like an unknown one', async () => {
      const account = await register('VIEWER');
      await ok(ERASE_ACCOUNT, { input: { accountId: account.id, basis: 'GDPR_ART17' } }, ownerKey);
      expect(codeOf(await login(account.email))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'INVALID_CREDENTIALS',
      });
    });
  });

  describe('When a registration is refused', () => {
    it.each([
      ['too short', 'short pw 11'],
      ['too long', 'x'.repeat(129)],
    ])('should refuse a password %s: WEAK_PASSWORD', async (_, password) => {
      const res = await api.graphql(
        REGISTER,
        { input: { email: anEmail(), name: 'N', company: 'C', password, role: 'VIEWER' } },
        ownerKey,
      );
      expect(codeOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'WEAK_PASSWORD' });
    });

    it('should refuse the email address as password: WEAK_PASSWORD', async () => {
      const email = anEmail('longlocalpart');
      const res = await api.graphql(
        REGISTER,
        {
          input: { email, name: 'N', company: 'C', password: email.toUpperCase(), role: 'VIEWER' },
        },
        ownerKey,
      );
      expect(codeOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'WEAK_PASSWORD' });
    });

    it('should refuse an address that has an account, in any spelling and any tenant: CONFLICT', async () => {
      const account = await register('VIEWER');
      const other = await api.createTenant('Elsewhere Ltd');
      for (const [email, key] of [
        [account.email, ownerKey],
        [`  ${account.email.toUpperCase()} `, ownerKey],
        [account.email, other.apiKey],
      ] as const) {
        const res = await api.graphql(
          REGISTER,
          { input: { email, name: 'N', company: 'C', password: PASSWORD, role: 'VIEWER' } },
          key,
        );
        expect(codeOf(res)).toMatchObject({ code: 'CONFLICT', reason: 'ACCOUNT_ALREADY_EXISTS' });
      }
    });
  });

  describe('When a password is changed', () => {
    it('should need the current one, and end the other sessions', async () => {
      const account = await register('VIEWER');
      const [mine, other] = [await session(account.email), await session(account.email)];
      const next = 'a new and longer passphrase';
      const wrong = await api.graphql(
        CHANGE_PASSWORD,
        { input: { currentPassword: 'not my password', newPassword: next } },
        mine.token,
      );
      expect(codeOf(wrong)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'WRONG_PASSWORD' });
      const weak = await api.graphql(
        CHANGE_PASSWORD,
        { input: { currentPassword: PASSWORD, newPassword: 'short' } },
        mine.token,
      );
      expect(codeOf(weak)).toMatchObject({ reason: 'WEAK_PASSWORD' });
      await ok(
        CHANGE_PASSWORD,
        { input: { currentPassword: PASSWORD, newPassword: next } },
        mine.token,
      );
      expect((await api.graphql(VIEWER, {}, mine.token)).errors).toBeUndefined();
      expect(codeOf(await api.graphql(VIEWER, {}, other.token))).toMatchObject({
        reason: 'SESSION_REVOKED',
      });
      expect(codeOf(await login(account.email))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
      await session(account.email, next);
    });
  });

  describe('When a registered account is erased', () => {
    it('should end its sessions and keys, refuse its login and read [erased]', async () => {
      const account = await register('ADMIN', { name: 'Erin Erased', company: 'Gone Ltd' });
      const { token } = await session(account.email);
      const issued = await ok<{
        issueApiKey: { secret: string; apiKey: { id: string; accountId: string } };
      }>(ISSUE_KEY, { input: { role: 'VIEWER', label: 'Erin’s script' } }, token);
      expect(issued.issueApiKey.apiKey.accountId).toBe(account.id);
      const erased = await ok<{ eraseAccount: { accountId: string; alreadyErased: boolean } }>(
        ERASE_ACCOUNT,
        { input: { accountId: account.id, basis: 'GDPR_ART17' } },
        ownerKey,
      );
      expect(erased.eraseAccount).toEqual({ accountId: account.id, alreadyErased: false });
      expect(codeOf(await login(account.email))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
      expect(codeOf(await api.graphql(VIEWER, {}, token))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'SESSION_REVOKED',
      });
      expect(codeOf(await api.graphql(VIEWER, {}, issued.issueApiKey.secret))).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      const listed = await ok<{ accounts: { edges: Array<{ node: Record<string, unknown> }> } }>(
        ACCOUNTS,
        {},
        ownerKey,
      );
      expect(
        listed.accounts.edges.map((e) => e.node).find((n) => n.id === account.id),
      ).toMatchObject({
        email: ERASED,
        name: ERASED,
        company: ERASED,
        role: 'ADMIN',
      });
      const exported = JSON.parse(
        (await ok<{ exportAccountData: { json: string } }>(EXPORT_ACCOUNT, {}, ownerKey))
          .exportAccountData.json,
      ) as { registeredAccounts: Array<Record<string, unknown>> };
      expect(exported.registeredAccounts.find((a) => a.id === account.id)).toMatchObject({
        email: ERASED,
        name: ERASED,
        company: ERASED,
      });
      const again = await ok<{ eraseAccount: { alreadyErased: boolean } }>(
        ERASE_ACCOUNT,
        { input: { accountId: account.id, basis: 'GDPR_ART17' } },
        ownerKey,
      );
      expect(again.eraseAccount.alreadyErased).toBe(true);

      // The person may come back: the address registers again, as a new account.
      const back = await register('VIEWER', { email: account.email.toUpperCase() });
      expect(back.id).not.toBe(account.id);
      expect((await session(account.email)).account).toEqual({ id: back.id, role: 'VIEWER' });
      expect(
        codeOf(
          await api.graphql(
            REGISTER,
            {
              input: {
                email: account.email,
                name: 'Twin',
                company: 'Acme',
                password: PASSWORD,
                role: 'VIEWER',
              },
            },
            ownerKey,
          ),
        ),
      ).toMatchObject({ code: 'CONFLICT' });
    });
  });

  describe('When the stored data is searched for an account’s personal data', () => {
    it('should find no plaintext email, name, company, password or password hash anywhere', async () => {
      const canary = `canary${randomUUID().replaceAll('-', '')}`;
      const email = `${canary}@example.org`;
      const password = `${canary}-password`;
      const account = await register('VIEWER', {
        email,
        name: `${canary}-name`,
        company: `${canary}-company`,
        password,
      });
      await session(email, password);
      const [decrypted] = await api.runtime.commands.history(toAccountStreamId(account.id));
      const { passwordHash } = decrypted!.data as AccountRegistered['data'];
      expect(passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      for (const marker of [canary, passwordHash.split('$').at(-1)!])
        expect(await tablesHoldingMarker(api.runtime.pool, marker)).toEqual([]);
    });
  });

  describe('When an API key is used', () => {
    it('should show when it was last used, written at most once a minute', async () => {
      const issued = await ok<{ issueApiKey: { secret: string; apiKey: { id: string } } }>(
        ISSUE_KEY,
        { input: { role: 'VIEWER', label: 'Usage probe' } },
        ownerKey,
      );
      const lastUsed = async () =>
        (
          await ok<{
            apiKeys: { edges: Array<{ node: { id: string; lastUsedAt: string | null } }> };
          }>(API_KEYS, {}, ownerKey)
        ).apiKeys.edges.find((e) => e.node.id === issued.issueApiKey.apiKey.id)!.node.lastUsedAt;
      expect(await lastUsed()).toBeNull();
      await ok(VIEWER, {}, issued.issueApiKey.secret);
      const first = await lastUsed();
      expect(first).not.toBeNull();
      await ok(VIEWER, {}, issued.issueApiKey.secret);
      expect(await lastUsed()).toBe(first);
      offsetMs += 2 * MINUTE;
      await ok(VIEWER, {}, issued.issueApiKey.secret);
      expect(new Date((await lastUsed())!).getTime()).toBeGreaterThanOrEqual(
        new Date(first!).getTime() + 2 * MINUTE,
      );
    });
  });
});

describe.each(sqlBackends())('Login limit per client IP (%s)', (backend) => {
  let api: ApiTestApp;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend, {
      MAILPACKR_LOGIN_MAX_FAILURES_PER_IP: '3',
      // The test client is the proxy: X-Forwarded-For names the client.
      MAILPACKR_TRUST_PROXY: 'loopback',
    });
  }, 60_000);
  afterAll(() => api.stop());

  const attempt = async (clientIp: string) => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp },
      body: JSON.stringify({
        query: LOGIN,
        variables: {
          input: { email: `someone.${randomUUID()}@example.org`, password: 'guessing a password' },
        },
      }),
    });
    return ((await response.json()) as GraphQLResponse).errors![0]!.extensions!;
  };

  it('should refuse logins from an address after its failures, whatever the account', async () => {
    for (let i = 0; i < 3; i++)
      expect(await attempt('203.0.113.7')).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    const refused = await attempt('203.0.113.7');
    expect(refused).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    // Another client behind the same proxy keeps its own count.
    expect(await attempt('198.51.100.9')).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
  });
});
