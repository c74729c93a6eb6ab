/**
 * GraphQL read benchmark: pages of 50 campaigns and of 50 recipients (personal fields decrypted)
 * served over HTTP by the real API process (`node dist/apps/api/src/main.js`, MODE=api) from
 * PostgreSQL read models, loaded with autocannon:
 *
 *   1. at a steady 500 requests/s (the target: p99 under 50 ms): an open load, one request every
 *      2 ms spread over 50 keep-alive connections (undici), each request's latency counted from
 *      the moment it was due, so time spent waiting for a free connection counts too (no
 *      coordinated omission);
 *   2. with autocannon's `overallRate` at the same rate, for comparison: autocannon sends each
 *      connection's share of a second back to back from the start of the second and then waits,
 *      so this is 500 requests in a burst at every second, a harsher load than a steady rate;
 *   3. at full speed (autocannon, 10 connections), for the ceiling;
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
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';
import pg from 'pg';
import { Pool } from 'undici';

import { MailpackrRuntime, loadConfig } from '#platform';

import { fmt, log, machine, positiveInt, repoRoot, table } from '../common/bench-cli.js';
import { draftCampaign, seedAudience } from '../common/seed.js';
import { postgresCpuSeconds, processTreeCpuSeconds } from '../common/process-cpu.js';
import { type ScratchDatabase, createScratchDatabase } from '../common/scratch-database.js';

const PAGE = 50;
const WARM_UP_SECONDS = 20;
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
    /** Connections that carry the steady and the bursty rate. */
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

const percentile = (sorted: ArrayLike<number>, q: number): number =>
  Math.round(sorted[Math.floor(q * (sorted.length - 1))]! * 100) / 100;

/**
 * CPU milliseconds per request of the API processes, PostgreSQL (every local `postgres` process)
 * and this load generator while `phase` runs: what a request costs, whatever the machine's speed.
 */
const cpuPerRequest = async <L extends Load>(
  apiPid: number,
  phase: () => Promise<L>,
): Promise<L & { cpuMsPerRequest?: { api: number; postgres?: number; generator: number } }> => {
  const api = processTreeCpuSeconds(apiPid);
  const postgres = postgresCpuSeconds();
  const generator = process.cpuUsage();
  const load = await phase();
  if (process.platform !== 'linux' || load.requests === 0) return load;
  const perRequest = (seconds: number) => Math.round((seconds * 1e6) / load.requests) / 1000;
  const postgresAfter = postgresCpuSeconds();
  const used = process.cpuUsage(generator);
  return {
    ...load,
    cpuMsPerRequest: {
      api: perRequest(processTreeCpuSeconds(apiPid) - api),
      ...(postgres !== undefined && postgresAfter !== undefined
        ? { postgres: perRequest(postgresAfter - postgres) }
        : {}),
      generator: perRequest((used.user + used.system) / 1e6),
    },
  };
};

/**
 * An open load at a steady `rate`: request i is due at start + i / rate, whatever happened to the
 * ones before, and is sent as soon as it is due (undici queues it when every connection is busy).
 * Its latency runs from when it was due to the end of its response, so a server that falls behind
 * shows it in the latencies instead of quietly receiving fewer requests. A response counts as an
 * error unless it is HTTP 200 with `data` and no `errors`.
 */
const steadyLoad = async (
  url: string,
  apiKey: string,
  seconds: number,
  shape: { rate: number; connections: number },
): Promise<Load & { generatorDelayP99: number }> => {
  const pool = new Pool(url, { connections: shape.connections, pipelining: 1 });
  // How late this process's own event loop ran: a stall here delays requests and counts in
  // their latency as well, so it is reported beside them.
  const generatorDelay = monitorEventLoopDelay({ resolution: 5 });
  const bodies = [CAMPAIGNS_PAGE, RECIPIENTS_PAGE].map((query) => JSON.stringify({ query }));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const total = Math.round(shape.rate * seconds);
  const interval = 1000 / shape.rate;
  const latencies = new Float64Array(total);
  let errors = 0;
  let non2xx = 0;
  const send = async (i: number, due: number): Promise<void> => {
    try {
      const response = await pool.request({
        path: '/graphql',
        method: 'POST',
        headers,
        body: bodies[i % bodies.length]!,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) non2xx++;
      else if (!text.startsWith('{"data":{') || text.includes('"errors":')) errors++;
    } catch {
      errors++;
    }
    latencies[i] = performance.now() - due;
  };
  // Every connection opened before the clock starts (one request each, not counted).
  await Promise.all(
    Array.from({ length: shape.connections }, async () => {
      const response = await pool.request({
        path: '/graphql',
        method: 'POST',
        headers,
        body: bodies[0]!,
      });
      await response.body.dump();
    }),
  );
  const inFlight: Promise<void>[] = [];
  generatorDelay.enable();
  const start = performance.now() + 20;
  for (let next = 0; next < total;) {
    const now = performance.now();
    for (; next < total && start + next * interval <= now; next++) {
      inFlight.push(send(next, start + next * interval));
    }
    const wait = start + next * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  generatorDelay.disable();
  // Served per second, from the first due time to the last response: below `rate` when the
  // server fell behind (the run then lasts longer than `seconds`).
  const elapsedSeconds = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort();
  return {
    requests: total,
    requestsPerSec: Math.round(total / Math.max(seconds, elapsedSeconds)),
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max: percentile(latencies, 1),
    errors,
    non2xx,
    generatorDelayP99: Math.round(generatorDelay.percentile(99) / 1e4) / 100,
  };
};

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
  return {
    requests: latencies.length,
    requestsPerSec: Math.round(latencies.length / seconds),
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max: percentile(latencies, 1),
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
    // The seeded rows written out now, not by a checkpoint while the clock runs.
    await runtime.pool.query('CHECKPOINT');
    // Only the seeding needed it: closed before the clock starts, so that this process is the
    // load generator alone.
    await runtime.close();
    runtime = undefined;

    // Long enough for V8 to finish optimising the request path: after 5 s a process still served
    // a third fewer requests than 10 s later, which made the first measured phase look worse.
    log(`warm-up (${WARM_UP_SECONDS} s)`);
    await load(server.url, apiKey, WARM_UP_SECONDS, { connections: 10 });
    log(
      `steady rate: ${opts.rate} requests/s over ${opts.connections} connections for ${opts.seconds} s`,
    );
    const steady = await cpuPerRequest(server.child.pid!, () =>
      steadyLoad(server!.url, apiKey, opts.seconds, {
        rate: opts.rate,
        connections: opts.connections,
      }),
    );
    log(
      `autocannon overallRate ${opts.rate}/s (a burst each second) over ${opts.connections} connections for ${opts.seconds} s`,
    );
    const bursts = summarise(
      await load(server.url, apiKey, opts.seconds, {
        overallRate: opts.rate,
        connections: opts.connections,
      }),
    );
    log(`full speed: 10 connections for ${opts.seconds} s`);
    const full = await cpuPerRequest(server.child.pid!, async () =>
      summarise(await load(server!.url, apiKey, opts.seconds, { connections: 10 })),
    );
    log(`raw SQL: the same two pages over pg, 10 connections for ${opts.seconds} s`);
    const raw = await rawSql(scratch.connectionString, tenantId, opts.seconds, 10);

    const rows = [
      [`GraphQL, steady ${opts.rate}/s (target)`, steady],
      [`GraphQL, ${opts.rate}/s in bursts`, bursts],
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
      )}\n` +
        `load generator's own event-loop delay during the steady rate: p99 ${steady.generatorDelayP99} ms\n` +
        (
          [
            ['steady rate', steady],
            ['full speed', full],
          ] as const
        )
          .map(([name, r]) =>
            r.cpuMsPerRequest
              ? `CPU per request at ${name}: API ${r.cpuMsPerRequest.api} ms, PostgreSQL ${r.cpuMsPerRequest.postgres ?? '?'} ms, load generator ${r.cpuMsPerRequest.generator} ms\n`
              : '',
          )
          .join('') +
        '\n',
    );
    const report = {
      bench: 'api-graphql-reads',
      at: new Date().toISOString(),
      machine: machine(),
      seed: { recipients: opts.recipients, campaigns: opts.campaigns, page: PAGE },
      apiProcesses: opts.processes,
      rateConnections: opts.connections,
      target: {
        rate: opts.rate,
        p99Ms: 50,
        met: steady.p99 < 50 && steady.errors + steady.non2xx === 0,
      },
      steadyRate: steady,
      burstsAtRate: bursts,
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
