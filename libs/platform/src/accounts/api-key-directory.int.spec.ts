import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import type { Position } from '#event-store';
import { type TestDatabase, createTestDatabase, sqlBackends } from '#testing';

import { loadConfig } from '../config/app.config.js';
import { MailpackrRuntime } from '../runtime/mailpackr-runtime.js';

const secret = () => `mpk_${randomBytes(32).toString('base64url')}`;

/** Polls until `check` holds (another process's change reaches this one through the log). */
const eventually = async (check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/**
 * The API key cache against a real log and read model: two runtimes on one database stand for two
 * processes (the API, and the API or CLI process where a key is revoked or its role changed).
 */
describe.each(sqlBackends())('API key directory on %s', (backend) => {
  let database: TestDatabase;
  const dirs: string[] = [];
  let api: MailpackrRuntime;
  let other: MailpackrRuntime;
  let tenantId: string;

  const start = (withProjections: boolean) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-keys-'));
    dirs.push(dataDir);
    return MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL: database.connectionString,
          MAILPACKR_KEK: kek,
          MAILPACKR_DATA_DIR: dataDir,
          NODE_ENV: 'test',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
        },
      ),
    ).then(async (runtime) => {
      if (withProjections) await runtime.projections.start();
      return runtime;
    });
  };
  const kek = randomBytes(32).toString('base64');

  const applied = async (runtime: MailpackrRuntime, position?: Position) => {
    if (position)
      expect(await runtime.projections.waitFor(position, ['api-keys'], 5000)).toBe(true);
  };
  const issue = async (runtime: MailpackrRuntime, role: 'viewer' | 'admin', key = secret()) => {
    const issued = await runtime.tenants.issueApiKey({
      tenantId,
      role,
      label: `${role} key`,
      apiKey: key,
      actor: 'test',
    });
    await applied(runtime, issued.position);
    return { key, keyId: issued.apiKeyId };
  };

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    api = await start(true);
    other = await start(false);
    tenantId = (await api.tenants.createTenant({ name: 'Keys Ltd', actor: 'test' })).tenantId;
  });
  afterAll(async () => {
    await other?.close();
    await api?.close();
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('Given a key in use', () => {
    it('should answer repeated lookups from memory, without a database round trip', async () => {
      const { key, keyId } = await issue(api, 'viewer');
      await eventually(
        async () => (await api.apiKeys.lookup(key)) !== undefined && api.apiKeys.size > 0,
      );
      const query = jest.spyOn(api.pool, 'query');
      try {
        for (let i = 0; i < 5; i++)
          expect(await api.apiKeys.lookup(key)).toEqual({
            keyId,
            tenantId,
            role: 'viewer',
            revoked: false,
          });
        expect(query).not.toHaveBeenCalled();
      } finally {
        query.mockRestore();
      }
    });
  });

  describe('When this process revokes a cached key', () => {
    it('should refuse it on the first lookup once the read model has the revocation', async () => {
      const { key, keyId } = await issue(api, 'admin');
      await eventually(async () => api.apiKeys.size > 0 && !!(await api.apiKeys.lookup(key)));
      const revoked = await api.tenants.revokeApiKey({ tenantId, keyId, actor: 'test' });
      await applied(api, revoked.position);
      expect((await api.apiKeys.lookup(key))?.revoked).toBe(true);
    });
  });

  describe('When another process revokes or changes a cached key', () => {
    it('should follow the change through the log, long before the cache would expire', async () => {
      const { key: revokedKey, keyId: revokedId } = await issue(api, 'admin');
      const { key: demotedKey, keyId: demotedId } = await issue(api, 'admin');
      for (const key of [revokedKey, demotedKey]) await api.apiKeys.lookup(key);
      await eventually(async () => (await api.apiKeys.lookup(demotedKey))?.role === 'admin');

      await applied(
        api,
        (await other.tenants.revokeApiKey({ tenantId, keyId: revokedId, actor: 'test' })).position,
      );
      await applied(
        api,
        (
          await other.tenants.changeApiKeyRole({
            tenantId,
            keyId: demotedId,
            role: 'viewer',
            actor: 'test',
          })
        ).position,
      );
      await eventually(async () => (await api.apiKeys.lookup(revokedKey))?.revoked === true);
      await eventually(async () => (await api.apiKeys.lookup(demotedKey))?.role === 'viewer');
    });
  });

  describe('When a key is unknown, then issued', () => {
    it('should not have remembered that it was unknown', async () => {
      const key = secret();
      expect(await api.apiKeys.lookup(key)).toBeUndefined();
      await issue(other, 'viewer', key);
      expect((await api.apiKeys.lookup(key))?.role).toBe('viewer');
    });
  });
});
