import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { ConfigError, MailpackrRuntime, loadConfig } from '#platform';
import { PrivacyError } from '#privacy';

import { createApp } from '../src/app.factory.js';
import { ensureDefaultTenant } from '../src/first-start.js';

/** The embedded default as `npm start` runs it: PGlite files and a key file in a data folder. */
describe('First start on the embedded store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-first-start-'));
  const bootstrapKey = `mpk_script_${'x'.repeat(40)}`;
  const env = {
    MAILPACKR_DATA_DIR: dataDir,
    MAILPACKR_BOOTSTRAP_API_KEY: bootstrapKey,
    NODE_ENV: 'test',
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const startAndAsk = async (): Promise<{ created: boolean; viewer: unknown }> => {
    const runtime = await MailpackrRuntime.start(loadConfig({}, env));
    try {
      const first = await ensureDefaultTenant(runtime, () => undefined);
      const app = await createApp(runtime, false);
      await app.listen(0, '127.0.0.1');
      try {
        const response = await fetch(
          `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${bootstrapKey}`,
            },
            body: JSON.stringify({ query: '{ viewer { tenant { name plan } role } }' }),
          },
        );
        return {
          created: first !== undefined,
          viewer: ((await response.json()) as { data: unknown }).data,
        };
      } finally {
        await app.close();
      }
    } finally {
      await runtime.close();
    }
  };

  it('should create the default tenant with the bootstrap key, once, and keep it across restarts', async () => {
    const first = await startAndAsk();
    expect(first).toEqual({
      created: true,
      viewer: { viewer: { tenant: { name: 'Default', plan: 'enterprise' }, role: 'OWNER' } },
    });
    const second = await startAndAsk();
    expect(second).toEqual({ created: false, viewer: first.viewer });
  });

  it('should refuse to start with a clear error when the key file is missing or corrupt', async () => {
    const keyFile = join(dataDir, 'kek.key');
    rmSync(keyFile);
    await expect(MailpackrRuntime.start(loadConfig({}, env))).rejects.toMatchObject({
      code: 'KEK_FILE_MISSING',
    });
    writeFileSync(keyFile, 'this is not a key\n');
    await expect(MailpackrRuntime.start(loadConfig({}, env))).rejects.toBeInstanceOf(PrivacyError);
    await expect(MailpackrRuntime.start(loadConfig({}, env))).rejects.toMatchObject({
      code: 'KEK_FILE_CORRUPT',
    });
  });

  it('should name every invalid setting at start', () => {
    expect(() =>
      loadConfig(
        {},
        { PORT: 'eighty', DATABASE_URL: 'mysql://x', MAILPACKR_BOOTSTRAP_API_KEY: 'short' },
      ),
    ).toThrow(ConfigError);
    try {
      loadConfig({}, { PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toMatch(
        /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
      );
    }
  });
});
