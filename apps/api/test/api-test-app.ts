import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import type { INestApplication } from '@nestjs/common';

import { MailpackrRuntime, createLogger, loadConfig } from '#platform';
import { type TestDatabase, createTestDatabase } from '#testing';

import { createApp } from '../src/app.factory.js';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{
    message: string;
    extensions?: { code?: string } & Record<string, unknown>;
    path?: string[];
  }>;
}

/**
 * The whole API on a fresh database, served over real HTTP on a loopback port, as a frontend
 * would use it. Tenants are made the way the platform operator makes them.
 */
export class ApiTestApp {
  private constructor(
    readonly database: TestDatabase,
    readonly runtime: MailpackrRuntime,
    readonly app: INestApplication,
    readonly url: string,
    private readonly dataDir: string,
  ) {}

  static async start(
    backend: 'pglite' | 'postgres',
    env: Record<string, string> = {},
    /** `clock`: the API's clock (sessions, key usage…), for tests that move time. */
    options: { logs?: boolean; clock?: () => Date } = {},
  ): Promise<ApiTestApp> {
    const database = await createTestDatabase(backend);
    const dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-e2e-'));
    const config = loadConfig(
      {},
      {
        DATABASE_URL: database.connectionString,
        MAILPACKR_KEK: randomBytes(32).toString('base64'),
        MAILPACKR_DATA_DIR: dataDir,
        NODE_ENV: 'test',
        // Tests send with `runtime.delivery.runOnce`; the capture server takes any free port.
        MAILPACKR_DELIVERY_INTERVAL_MS: '0',
        MAILPACKR_SMTP_CAPTURE_PORT: '0',
        ...env,
      },
    );
    const logger = options.logs ? createLogger(config) : undefined;
    const runtime = await MailpackrRuntime.start(config, logger);
    const app = await createApp(runtime, logger ?? false, options.clock);
    await app.listen(0, '127.0.0.1');
    return new ApiTestApp(
      database,
      runtime,
      app,
      (await app.getUrl()).replace('[::1]', '127.0.0.1'),
      dataDir,
    );
  }

  /** A new tenant with an owner API key, as `mailpackr tenant create` makes it. */
  async createTenant(name = 'Acme'): Promise<{ tenantId: string; apiKey: string }> {
    const created = await this.runtime.tenants.createTenant({
      name,
      plan: 'pro',
      actor: 'test:operator',
    });
    await this.runtime.projections.waitFor(created.position!, ['api-keys', 'tenants'], 10_000);
    return { tenantId: created.tenantId, apiKey: created.apiKey };
  }

  /**
   * Resolves once the named read models have applied every event committed so far. Not
   * `store.headPosition()`: that is what readers may see now, and a transaction still open
   * elsewhere (a projection's batch) can hide the newest commits from it; `waitFor` waits until
   * they show.
   */
  async caughtUp(names: readonly string[]): Promise<void> {
    const position = await this.runtime.store.lastCommittedPosition();
    if (!position) return;
    if (!(await this.runtime.projections.waitFor(position, names, 10_000))) {
      throw new Error(`read models ${names.join(', ')} did not catch up within 10 s`);
    }
  }

  async graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    apiKey?: string,
  ): Promise<GraphQLResponse<T>> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { status: response.status, ...body };
  }

  /**
   * A GraphQL multipart request (graphql-multipart-request-spec) with one file, bound to the
   * variable `fileVariable`. `chunked` streams the body without a Content-Length.
   */
  async upload<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    file: { variable: string; name: string; content: string | Buffer },
    options: { apiKey?: string; preflight?: boolean; chunked?: boolean } = {},
  ): Promise<GraphQLResponse<T>> {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({ query, variables: { ...variables, [file.variable]: null } }),
    );
    form.append('map', JSON.stringify({ 0: [`variables.${file.variable}`] }));
    form.append('0', new Blob([file.content], { type: 'text/csv' }), file.name);
    const request = new Request(`${this.url}/graphql`, { method: 'POST', body: form });
    const headers: Record<string, string> = {
      'content-type': request.headers.get('content-type')!,
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      ...(options.preflight === false ? {} : { 'apollo-require-preflight': 'true' }),
    };
    const bytes = Buffer.from(await request.arrayBuffer());
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers,
      ...(options.chunked
        ? { body: Readable.toWeb(Readable.from([bytes])) as ReadableStream, duplex: 'half' }
        : { body: bytes }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { status: response.status, ...body };
  }

  async raw(body: string, apiKey?: string): Promise<{ status: number; json: GraphQLResponse }> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body,
    });
    return { status: response.status, json: (await response.json()) as GraphQLResponse };
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.runtime.close();
    await this.database.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
