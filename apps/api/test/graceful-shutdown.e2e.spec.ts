import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { packageRoot } from '#platform';

const MAIN = join(packageRoot(), 'dist/apps/api/src/main.js');
const API_KEY = `mpk_${randomBytes(24).toString('hex')}`;
const ROWS = 20_000;

/**
 * The built server (`npm run build` first), started as `npm start` starts it, embedded store,
 * JSON logs: SIGTERM while a GraphQL command is in flight lets the command finish and answer,
 * refuses new requests, and the process exits 0 after closing its stores.
 */
describe('Graceful shutdown of the built server', () => {
  let dir: string;
  let server: ChildProcess;
  let stdout = '';
  let url: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'mailpackr-shutdown-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'SMTP_URL', 'NODE_OPTIONS']) {
      delete env[name];
    }
    server = spawn(process.execPath, [MAIN], {
      cwd: dir,
      env: {
        ...env,
        NODE_ENV: 'production',
        PORT: '0',
        MAILPACKR_SMTP_CAPTURE_PORT: '0',
        MAILPACKR_DATA_DIR: join(dir, 'data'),
        MAILPACKR_BOOTSTRAP_API_KEY: API_KEY,
        MAILPACKR_SHUTDOWN_TIMEOUT_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while (!/GraphQL at (http:\/\/\S+)\/graphql/.test(stdout)) {
      if (Date.now() > deadline || server.exitCode !== null) {
        throw new Error(`the server did not start:\n${stdout}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /GraphQL at (http:\/\/\S+)\/graphql/.exec(stdout)![1]!;
  });
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const graphql = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as { data?: T } };
  };

  describe('When SIGTERM comes while an import is in flight', () => {
    it('should answer the import, refuse new requests, and exit 0', async () => {
      const list = await graphql<{ createContactList: { id: string } }>(`
        mutation {
          createContactList(input: { name: "Shutdown" }) {
            id
          }
        }
      `);
      const listId = list.body.data!.createContactList.id;
      const csv = `email\n${Array.from({ length: ROWS }, (_, i) => `p${i}@shutdown.example`).join('\n')}\n`;
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));

      let answeredAt = 0;
      const importing = graphql<{ importContacts: { added: number } }>(
        `
          mutation ($input: ImportContactsInput!) {
            importContacts(input: $input) {
              added
            }
          }
        `,
        { input: { listId, csv } },
      ).then((answer) => ((answeredAt = performance.now()), answer));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalledAt = performance.now();
      expect(answeredAt).toBe(0); // still in flight
      server.kill('SIGTERM');

      // New requests are refused while the import finishes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const late = await fetch(`${url}/health`).then(
        (response) => response.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(late);

      const answer = await importing;
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ importContacts: { added: ROWS } });
      expect(answeredAt).toBeGreaterThan(signalledAt);
      expect(await exited).toBe(0);

      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; message: unknown; context?: string });
      const shutdown = lines.filter((l) => l.context === 'Shutdown').map((l) => l.message);
      expect(shutdown[0]).toMatch(/^SIGTERM: shutting down/);
      expect(shutdown.at(-1)).toBe('Shut down cleanly');
      expect(lines).toContainEqual(
        expect.objectContaining({
          context: 'Http',
          message: expect.objectContaining({
            route: '/graphql',
            status: 200,
            graphql: expect.objectContaining({ fields: ['importContacts'] }),
          }) as unknown,
        }),
      );
    });
  });
});
