/**
 * `audit verify` benchmark: the hash-chain verification of the PostgreSQL adapter against the raw
 * limit measured in the same run on the same rows: a raw paged `SELECT` of the same columns, and
 * the same `SELECT` plus one SHA-256 per row in a loop.
 *
 *   npm run bench:audit -- [--events <n>] [--per-stream <n>] [--rounds <n>] [--backend postgres|pglite] [--quick]
 *
 * Seeds N events (default 200 000; 20 000 with --quick) in streams of 10 over 5 tenants in a fresh
 * database (`mp_bench_<random>` next to DATABASE_URL, dropped at the end; PGlite in memory without
 * DATABASE_URL or with --backend pglite). Progress goes to stderr; a table and one JSON object go
 * to stdout, and the JSON is also written to `bench/results/audit-verify-<timestamp>.json`.
 * Figures are the median of the rounds; ours and raw alternate. Target: >= 50 000 events/s
 * verified on PostgreSQL.
 */
import 'reflect-metadata';

import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type pg from 'pg';

import { type AppendRequest, EmbeddedPostgres, PostgresEventStore, createPool } from '#event-store';

import { createScratchDatabase } from '../common/scratch-database.js';
import { fmt, log, machine, median, positiveInt, repoRoot, table } from '../common/bench-cli.js';

const USAGE = `Usage: node dist/bench/audit/audit-verify.bench.js [options]
  --events <n>       events to seed (default 200000; 20000 with --quick)
  --per-stream <n>   events per stream (default 10)
  --rounds <n>       rounds per measurement (default 3)
  --backend <b>      postgres | pglite (default postgres when DATABASE_URL is set, else pglite)
  --quick            a smoke run
  --help`;

const TARGET_EVENTS_PER_SEC = 50_000;
const TENANTS = Array.from({ length: 5 }, () => randomUUID());
const PAD = 'x'.repeat(120);

const options = (() => {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      'per-stream': { type: 'string' },
      rounds: { type: 'string' },
      backend: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const backend = values.backend ?? (databaseUrl ? 'postgres' : 'pglite');
  if (backend !== 'postgres' && backend !== 'pglite') throw new Error(`--backend: ${backend}`);
  if (backend === 'postgres' && !databaseUrl)
    throw new Error('--backend postgres needs DATABASE_URL');
  return {
    backend,
    databaseUrl,
    events: positiveInt(values.events, 'events') ?? (values.quick ? 20_000 : 200_000),
    perStream: positiveInt(values['per-stream'], 'per-stream') ?? 10,
    rounds: positiveInt(values.rounds, 'rounds') ?? 3,
    quick: values.quick,
  };
})();

/** A recipient-like event: ids, a sealed personal field, ~300 bytes of data. */
const eventFor = (streamIndex: number, revision: number, tenantId: string) => ({
  eventId: randomUUID(),
  type: revision === 0 ? 'RecipientAdded' : 'RecipientCorrected',
  data: {
    recipientId: randomUUID(),
    tenantId,
    email: { $pii: 1, s: randomUUID(), c: PAD.slice(0, 60) },
    note: PAD,
    n: streamIndex,
  },
  metadata: { tenantId, actor: 'system:bench', correlationId: randomUUID() },
});

const seed = async (store: PostgresEventStore): Promise<void> => {
  const streams = Math.ceil(options.events / options.perStream);
  const perCall = Math.max(1, Math.floor(2_000 / options.perStream));
  let written = 0;
  const started = performance.now();
  for (let s = 0; s < streams; s += perCall) {
    const requests: AppendRequest[] = [];
    for (let i = s; i < Math.min(streams, s + perCall); i++) {
      const tenantId = TENANTS[i % TENANTS.length]!;
      const n = Math.min(options.perStream, options.events - written);
      if (n <= 0) break;
      written += n;
      requests.push({
        streamId: `recipient-${randomUUID()}`,
        events: Array.from({ length: n }, (_, r) => eventFor(i, r, tenantId)),
        expectedRevision: 'no_stream',
      });
    }
    if (requests.length > 0) await store.appendMany(requests);
    if ((s / perCall) % 20 === 0) log(`  seeded ${fmt(written)} / ${fmt(options.events)} events`);
  }
  log(
    `seeded ${fmt(written)} events in ${fmt(streams)} streams in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
};

const RAW_PAGE = `SELECT global_position::text, transaction_id::text, stream_id, stream_revision::text,
    event_id::text, event_type, data::text, metadata::text,
    encode(previous_hash, 'hex') AS previous_hash, encode(hash, 'hex') AS hash
  FROM mp_events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
  ORDER BY mp_events.transaction_id, mp_events.global_position LIMIT $3`;

/** The store's own page function (settled rows, hashes as hex), without any checking. */
const VERIFY_PAGE = `SELECT * FROM mp_verify_page($1::xid8, $2::bigint, $3::int, NULL)`;

/** The raw limit: the same rows in the same pages, optionally one SHA-256 of the row's texts. */
const rawWalk = async (pool: pg.Pool, hashRows: boolean, sql = RAW_PAGE): Promise<number> => {
  let commit = '0';
  let prepare = '0';
  let rows = 0;
  for (;;) {
    const page = await pool.query<Record<string, string>>(sql, [commit, prepare, 10_000]);
    if (page.rows.length === 0) break;
    for (const row of page.rows) {
      if (hashRows) {
        createHash('sha256')
          .update(row.event_id!)
          .update(row.stream_id!)
          .update(row.event_type!)
          .update(row.data!)
          .update(row.metadata!)
          .digest();
      }
      rows++;
    }
    const tail = page.rows[page.rows.length - 1]!;
    commit = tail.transaction_id!;
    prepare = tail.global_position!;
    if (page.rows.length < 10_000) break;
  }
  return rows;
};

/**
 * Verification reads settled transactions only; on a shared server another database's open
 * transaction holds that back for a moment: wait, so every round walks every event.
 */
const settled = async (pool: pg.Pool): Promise<void> => {
  for (let i = 0; i < 600; i++) {
    const { rows } = await pool.query<{ settled: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM mp_events
        WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())) AS settled`,
    );
    if (rows[0]!.settled) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log('warning: the log did not settle within 60 s');
};

interface Measurement {
  name: string;
  kind: 'ours' | 'raw';
  events: number;
  eventsPerSec: number;
  rounds: number[];
}

const main = async () => {
  const startedAt = new Date();
  log(
    `audit verify benchmark on ${options.backend}: ${fmt(options.events)} events, ${options.perStream} per stream, ${options.rounds} rounds`,
  );
  const cleanups: Array<() => Promise<void>> = [];
  let connectionString: string;
  if (options.backend === 'postgres') {
    const scratch = await createScratchDatabase(options.databaseUrl!, log);
    cleanups.push(() => scratch.dispose());
    connectionString = scratch.connectionString;
  } else {
    const embedded = await EmbeddedPostgres.start();
    cleanups.push(() => embedded.stop());
    connectionString = embedded.connectionString;
  }
  const pool = createPool(connectionString, 6);
  cleanups.push(() => pool.end());
  const measurements: Measurement[] = [];
  const server: Record<string, string> = {};
  try {
    const store = await PostgresEventStore.open(pool);
    cleanups.push(() => store.close());
    await seed(store);
    await pool.query('VACUUM ANALYZE mp_events, mp_streams');
    await settled(pool);
    for (const setting of ['server_version', 'shared_buffers', 'synchronous_commit']) {
      const { rows } = await pool.query<{ v: string }>(
        'SELECT setting AS v FROM pg_settings WHERE name = $1',
        [setting],
      );
      if (rows[0]) server[setting] = rows[0].v;
    }
    const tenantEvents = Math.round(options.events / TENANTS.length);
    const runs: Array<{ name: string; kind: 'ours' | 'raw'; run: () => Promise<number> }> = [
      { name: 'raw SELECT of the same rows', kind: 'raw', run: () => rawWalk(pool, false) },
      { name: 'raw SELECT + sha256 per row', kind: 'raw', run: () => rawWalk(pool, true) },
      {
        name: 'mp_verify_page pages, no checks',
        kind: 'raw',
        run: () => rawWalk(pool, false, VERIFY_PAGE),
      },
      {
        name: 'verify whole log (chain, order, heads, seals)',
        kind: 'ours',
        run: async () => {
          const r = await store.verifyChain();
          if (r.checked !== options.events)
            log(`  warning: verified ${fmt(r.checked)} of ${fmt(options.events)} events`);
          if (!r.ok)
            throw new Error(
              `verify failed: ${JSON.stringify(r.firstBroken, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
            );
          return r.checked;
        },
      },
      {
        name: `verify one tenant (1 of ${TENANTS.length})`,
        kind: 'ours',
        run: async () => {
          const r = await store.verifyChain({ tenantId: TENANTS[0] });
          if (!r.ok || r.checked < tenantEvents * 0.9) throw new Error('tenant verify failed');
          return r.checked;
        },
      },
    ];
    // A seal first, so the whole-log walks also compare one.
    const sealStarted = performance.now();
    const sealed = await store.verifyChain({ seal: true });
    log(
      `first walk with seal: ${fmt(sealed.checked)} events in ${((performance.now() - sealStarted) / 1000).toFixed(2)} s, seal #${sealed.seals?.written?.sealId}`,
    );
    const times = new Map<string, { events: number[]; ms: number[] }>();
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? runs : [...runs].reverse();
      for (const m of order) {
        await settled(pool);
        const started = performance.now();
        const events = await m.run();
        const ms = performance.now() - started;
        const t = times.get(m.name) ?? { events: [], ms: [] };
        t.events.push(events);
        t.ms.push(ms);
        times.set(m.name, t);
        log(
          `  round ${round + 1}/${options.rounds} ${m.name}: ${fmt((events * 1000) / ms)} events/s`,
        );
      }
    }
    for (const m of runs) {
      const t = times.get(m.name)!;
      const rates = t.events.map((e, i) => (e * 1000) / t.ms[i]!);
      measurements.push({
        name: m.name,
        kind: m.kind,
        events: Math.round(median(t.events)),
        eventsPerSec: Math.round(median(rates)),
        rounds: rates.map((r) => Math.round(r)),
      });
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  const rawHash = measurements.find((m) => m.name.startsWith('raw SELECT +'))!;
  const whole = measurements.find((m) => m.name.startsWith('verify whole'))!;
  const target = {
    measurement: whole.name,
    target: `>= ${fmt(TARGET_EVENTS_PER_SEC)} events/s on PostgreSQL`,
    value: whole.eventsPerSec,
    met: whole.eventsPerSec >= TARGET_EVENTS_PER_SEC,
    applies: options.backend === 'postgres',
  };
  const report = {
    benchmark: 'audit-verify',
    startedAt: startedAt.toISOString(),
    backend: options.backend,
    environment: machine(),
    server,
    sizes: {
      events: options.events,
      perStream: options.perStream,
      tenants: TENANTS.length,
      rounds: options.rounds,
    },
    measurements: measurements.map((m) => ({
      ...m,
      ofRawHash: Math.round((m.eventsPerSec / rawHash.eventsPerSec) * 100) / 100,
    })),
    target,
  };
  const json = JSON.stringify(report, null, 2);
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `audit-verify-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  const out = [
    '',
    `audit verify benchmark on ${options.backend}, ${fmt(options.events)} events (${options.perStream} per stream, ${TENANTS.length} tenants), median of ${options.rounds} rounds`,
    '',
    table(
      ['measurement', 'events', 'events/s', 'of raw+sha256'],
      report.measurements.map((m) => [
        m.name,
        fmt(m.events),
        fmt(m.eventsPerSec),
        `${m.ofRawHash.toFixed(2)}x`,
      ]),
      new Set([1, 2, 3]),
    ),
    '',
    `Target ${target.target}: ${fmt(target.value)} events/s, ${target.applies ? (target.met ? 'met' : 'MISSED') : 'not checked (not PostgreSQL)'}`,
    `JSON written to ${path.relative(process.cwd(), file) || file}`,
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n${json}\n`);
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
