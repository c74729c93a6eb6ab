import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { packageRoot } from '#platform';
import { type TestDatabase, createTestDatabase, reportSkipped } from '#testing';

const MAIN = join(packageRoot(), 'dist/apps/api/src/main.js');
const API_KEY = `mpk_${randomBytes(24).toString('hex')}`;

/**
 * `MAILPACKR_API_PROCESSES=2` (PostgreSQL): the built server runs two API processes on one port,
 * both serve requests, one banner and one default tenant are made, and SIGTERM stops them all.
 */
const suite = process.env.DATABASE_URL ? describe : describe.skip;
if (!process.env.DATABASE_URL) reportSkipped('API processes', 'DATABASE_URL not set');

suite('Several API processes on one port', () => {
  let database: TestDatabase;
  let dir: string;
  let server: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    database = await createTestDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'mailpackr-processes-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    server = spawn(process.execPath, [MAIN], {
      cwd: dir,
      env: {
        ...env,
        DATABASE_URL: database.connectionString,
        NODE_ENV: 'production',
        PORT: '0',
        MAILPACKR_MODE: 'api',
        MAILPACKR_API_PROCESSES: '2',
        MAILPACKR_KEK: randomBytes(32).toString('base64'),
        MAILPACKR_DATA_DIR: join(dir, 'data'),
        MAILPACKR_BOOTSTRAP_API_KEY: API_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while (!/GraphQL at (http:\/\/\S+)\/graphql/.test(output)) {
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error(`the server did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /GraphQL at (http:\/\/\S+)\/graphql/.exec(output)![1]!;
    // The second process may still be starting: wait until both have logged that they listen.
    while ((output.match(/Nest application successfully started/g) ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`one API process did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  it('should serve from both processes, make one default tenant, and stop on SIGTERM', async () => {
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ query: '{ viewer { tenant { name } } }' }),
      });
      expect(await response.json()).toEqual({ data: { viewer: { tenant: { name: 'Default' } } } });
    }
    // Each process logs a request after answering it: wait for the last line to come through.
    const logged = () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { pid: number; context?: string; message: { route?: string } })
        .filter((l) => l.context === 'Http' && l.message.route === '/graphql');
    for (const deadline = Date.now() + 10_000; logged().length < 20 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const requests = logged();
    expect(requests).toHaveLength(20);
    expect(new Set(requests.map((r) => r.pid)).size).toBe(2);
    expect(output.match(/GraphQL at/g)).toHaveLength(1);
    // The second process started once the first listened, its default tenant and key made: the
    // banner comes before the second "started" line, so no request met a half-made installation.
    const started = [...output.matchAll(/Nest application successfully started/g)];
    expect(output.indexOf('GraphQL at')).toBeLessThan(started[1]!.index);

    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
