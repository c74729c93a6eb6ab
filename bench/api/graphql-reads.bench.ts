/**
 * GraphQL read benchmark: pages of 50 campaigns and of 50 recipients (personal fields decrypted)
 * served over HTTP by the real API process (`node dist/apps/api/src/main.js`, MODE=api) from
 * PostgreSQL read models, loaded with autocannon:
 *
 *   1. at a fixed 500 requests/s (the target: p99 under 50 ms), and
 *   2. at full speed (10 connections), for the ceiling;
 *
 * beside the raw limit measured in the same run on the same database: the same two page queries
 * sent as plain SQL over a `pg` pool of 10 connections, at full speed.
 *
 *   npm run bench:api -- [--recipients 20000] [--campaigns 500] [--seconds 15] [--rate 500]
 *                        [--processes <n>] [--connections 50] [--profile <dir>]
 *
 * The API runs as `MAILPACKR_API_PROCESSES` processes (default: one per core) sharing the port.
 *
 * Needs DATABASE_URL (a scratch database `mp_bench_<random>` is made from it and dropped at the
 * end). Progress goes to stderr; a table and one JSON object go to stdout, and the JSON to
 * `bench/results/api-<timestamp>.json`. A script, not a test.
 */
import 'reflect-metadata';

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';
import pg from 'pg';

import { MailpackrRuntime, loadConfig } from '#platform';

import { fmt, log, machine, positiveInt, repoRoot, table } from '../common/bench-cli.js';
import { draftCampaign, seedAudience } from '../common/seed.js';
import { type ScratchDatabase, createScratchDatabase } from '../common/scratch-database.js';

const PAGE = 50;
const CAMPAIGNS_PAGE = `{ campaigns(first: ${PAGE}) { edges { node { id name subject status revision createdAt } } pageInfo { hasNextPage endCursor } } }`;
const RECIPIENTS_PAGE = `{ recipients(first: ${PAGE}) { edges { node { id email name status revision createdAt } } pageInfo { hasNextPage endCursor } } }`;

const options = () => {
  const { values } = parseArgs({
    options: {
      recipients: { type: 'string' },
      campaigns: { type: 'string' },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      profile: { type: 'string' },
      processes: { type: 'string' },
      connections: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:api -- [--recipients 20000] [--campaigns 500] [--seconds 15] [--rate 500] [--processes <n>] [--connections 50] [--profile <dir>]\n',
    );
    process.exit(0);
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('bench:api needs DATABASE_URL (PostgreSQL read models)');
  return {
    databaseUrl,
    recipients: positiveInt(values.recipients, 'recipients') ?? 20_000,
    campaigns: positiveInt(values.campaigns, 'campaigns') ?? 500,
    seconds: positiveInt(values.seconds, 'seconds') ?? 15,
    rate: positiveInt(values.rate, 'rate') ?? 500,
    /** A folder for a CPU profile of the API process (`--cpu-prof`), to see where time goes. */
    profile: values.profile,
    /** API processes (MAILPACKR_API_PROCESSES); default: one per core, as we would deploy it. */
    processes: positiveInt(values.processes, 'processes') ?? os.cpus().length,
    /** Connections that share the fixed rate (each sends rate/connections requests a second). */
    connections: positiveInt(values.connections, 'connections') ?? 50,
  };
};

interface Load {
  requests: number;
  requestsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

const summarise = (r: autocannon.Result): Load => ({
  requests: r.requests.total,
  requestsPerSec: Math.round(r.requests.average),
  p50: r.latency.p50,
  p90: r.latency.p90,
  p99: r.latency.p99,
  max: r.latency.max,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
});

const load = (
  url: string,
  apiKey: string,
  seconds: number,
  shape: { overallRate?: number; connections: number },
): Promise<autocannon.Result> =>
  autocannon({
    url: `${url}/graphql`,
    duration: seconds,
    connections: shape.connections,
    ...(shape.overallRate ? { overallRate: shape.overallRate } : {}),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    requests: [CAMPAIGNS_PAGE, RECIPIENTS_PAGE].map((query) => ({
      method: 'POST' as const,
      path: '/graphql',
      body: JSON.stringify({ query }),
    })),
  });

/** The same two pages as plain SQL, `connections` at a time, for `seconds`. */
const rawSql = async (
  connectionString: string,
  tenantId: string,
  seconds: number,
  connections: number,
): Promise<Load> => {
  const pool = new pg.Pool({ connectionString, max: connections });
  // The statements the API runs for these pages (every column, the page index's own filter).
  const queries = [
    `SELECT * FROM campaigns WHERE tenant_id = $1
      ORDER BY created_at DESC, campaign_id DESC LIMIT ${PAGE + 1}`,
    `SELECT * FROM recipients WHERE tenant_id = $1 AND status = 'active'
      ORDER BY created_at DESC, recipient_id DESC LIMIT ${PAGE + 1}`,
  ];
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await pool.query(queries[next++ % 2]!, [tenantId]);
        latencies.push(performance.now() - started);
      }
    }),
  );
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.floor(q * (latencies.length - 1))]! * 100) / 100;
  return {
    requests: latencies.length,
    requestsPerSec: Math.round(latencies.length / seconds),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: at(1),
    errors: 0,
    non2xx: 0,
  };
};

const startServer = async (
  env: Record<string, string>,
  profile: string | undefined,
): Promise<{ url: string; child: ChildProcess }> => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const main = path.join(repoRoot(), 'dist/apps/api/src/main.js');
  const child = spawn(process.execPath, [...profiling, main], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the API process exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the API process did not become healthy in 60 s');
};

const main = async (): Promise<void> => {
  const opts = options();
  const scratch: ScratchDatabase = await createScratchDatabase(opts.databaseUrl, log);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mp-bench-api-'));
  const apiKey = `mpk_${randomBytes(32).toString('base64url')}`;
  const env = {
    DATABASE_URL: scratch.connectionString,
    MAILPACKR_KEK: randomBytes(32).toString('base64'),
    MAILPACKR_DATA_DIR: dataDir,
    MAILPACKR_BOOTSTRAP_API_KEY: apiKey,
    MAILPACKR_MODE: 'api',
    MAILPACKR_API_PROCESSES: String(opts.processes),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // The benchmark measures serving, not the per-tenant budget: far above what it sends.
    MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE: '1000000000',
  };
  let server: { url: string; child: ChildProcess } | undefined;
  let runtime: MailpackrRuntime | undefined;
  try {
    server = await startServer(env, opts.profile);
    const viewer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: '{ viewer { tenant { id } } }' }),
    });
    const tenantId = ((await viewer.json()) as { data: { viewer: { tenant: { id: string } } } })
      .data.viewer.tenant.id;

    log(
      `seeding ${fmt(opts.recipients)} recipients and ${fmt(opts.campaigns)} campaigns (untimed)`,
    );
    runtime = await MailpackrRuntime.start(loadConfig({}, { ...env, MAILPACKR_MODE: 'worker' }));
    const { context, listId } = await seedAudience(runtime, tenantId, {
      header: 'email,name',
      row: (i) => `r${i}@bench.example,Person ${i}`,
      count: opts.recipients,
    });
    for (let i = 0; i < opts.campaigns; i++)
      await draftCampaign(runtime, context, listId, {
        name: `Campaign ${i}`,
        subject: `News ${i}`,
      });
    await runtime.projections.catchUp();
    // The planner's statistics, as autovacuum would have them on a live database.
    await runtime.pool.query('ANALYZE');

    log('warm-up (5 s)');
    await load(server.url, apiKey, 5, { connections: 10 });
    log(
      `fixed rate: ${opts.rate} requests/s over ${opts.connections} connections for ${opts.seconds} s`,
    );
    const fixed = summarise(
      await load(server.url, apiKey, opts.seconds, {
        overallRate: opts.rate,
        connections: opts.connections,
      }),
    );
    log(`full speed: 10 connections for ${opts.seconds} s`);
    const full = summarise(await load(server.url, apiKey, opts.seconds, { connections: 10 }));
    log(`raw SQL: the same two pages over pg, 10 connections for ${opts.seconds} s`);
    const raw = await rawSql(scratch.connectionString, tenantId, opts.seconds, 10);

    const rows = [
      ['GraphQL at fixed rate', fixed],
      ['GraphQL at full speed', full],
      ['raw SQL at full speed', raw],
    ] as const;
    process.stdout.write(
      `\n${table(
        ['load', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx'],
        rows.map(([name, r]) => [
          name,
          fmt(r.requestsPerSec),
          String(r.p50),
          String(r.p90),
          String(r.p99),
          String(r.max),
          String(r.errors),
          String(r.non2xx),
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7]),
      )}\n\n`,
    );
    const report = {
      bench: 'api-graphql-reads',
      at: new Date().toISOString(),
      machine: machine(),
      seed: { recipients: opts.recipients, campaigns: opts.campaigns, page: PAGE },
      apiProcesses: opts.processes,
      fixedRateConnections: opts.connections,
      target: {
        rate: opts.rate,
        p99Ms: 50,
        met: fixed.p99 < 50 && fixed.errors + fixed.non2xx === 0,
      },
      fixedRate: fixed,
      fullSpeed: full,
      rawSql: raw,
      fullSpeedVsRaw: Math.round((full.requestsPerSec / raw.requestsPerSec) * 1000) / 1000,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const dir = path.join(repoRoot(), 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `api-${Date.now()}.json`), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await runtime?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server!.child.once('exit', resolve));
    }
    await scratch.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
