/**
 * Campaign launch benchmark: `CampaignDelivery.launch` (the whole path: audience query over the
 * read models, `CampaignStarted`, one `MessageQueued` stream per recipient in bulk appends of
 * 1000 with deterministic ids, `CampaignQueued`) beside the raw limit measured in the same run on
 * the same database: inserting as many rows of the same size, in batches of the same size, into a
 * plain table.
 *
 *   npm run bench:launch -- [--sizes <n,n,...>] [--quick] [--backend pglite|postgres] [--rounds <n>]
 *
 * For each size: a fresh database (PGlite: a fresh data folder, the default; PostgreSQL: a
 * database `mp_bench_<random>` created from DATABASE_URL and dropped at the end) gets one tenant,
 * one list and that many subscribed recipients (a CSV import, untimed), then: the launch (timed,
 * messages/s; stopped after its last batch, as a crash would), the launch restarted (it finds
 * every message queued: re-appends answered by the store, must queue nothing), the messages projection catching up (timed),
 * and the raw INSERT (median of the rounds). Progress goes to stderr; a table and one JSON object
 * go to stdout, and the JSON to `bench/results/launch-<timestamp>.json`. A script, not a test.
 */
import 'reflect-metadata';

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MESSAGE_STREAM_CATEGORY } from '#domain';

import { machine, positiveInt } from '../common/bench-cli.js';
import { draftCampaign, seedAudience } from '../common/seed.js';
import { startBenchRuntime } from '../common/bench-runtime.js';

const DEFAULT_SIZES = [50_000, 200_000];
const QUICK_SIZES = [5_000];
const BATCH = 1000;
const RAW_TABLE = 'bench_raw_launch';

class CrashAfterLastBatch extends Error {}

const log = (line: string) => process.stderr.write(`${line}\n`);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const repoRoot = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'pglite' },
      rounds: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:launch -- [--sizes 50000,200000] [--quick] [--backend pglite|postgres] [--rounds 3]\n',
    );
    process.exit(0);
  }
  const backend = values.backend;
  if (backend !== 'pglite' && backend !== 'postgres') {
    throw new Error(`--backend must be pglite or postgres, got ${backend}`);
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (backend === 'postgres' && !databaseUrl) {
    throw new Error('--backend postgres needs DATABASE_URL (a scratch database is made from it)');
  }
  const sizes =
    values.sizes === undefined
      ? values.quick
        ? QUICK_SIZES
        : DEFAULT_SIZES
      : values.sizes.split(',').map((s) => positiveInt(s.trim(), 'sizes')!);
  return {
    backend,
    databaseUrl,
    sizes,
    rounds: positiveInt(values.rounds, 'rounds') ?? (values.quick ? 1 : 3),
  } as const;
};

interface SizeResult {
  size: number;
  launch?: { ms: number; messagesPerSec: number; recipients: number; appended: number };
  relaunch?: { ms: number; appended: number };
  catchUp?: { ms: number; messagesPerSec: number };
  rawSql?: { ms: number; rowsPerSec: number; payloadBytes: number; rounds: number[] };
  ratio?: number;
  error?: string;
}

const benchSize = async (
  options: ReturnType<typeof parseCommandLine>,
  size: number,
): Promise<SizeResult> => {
  const result: SizeResult = { size };
  const bench = await startBenchRuntime(options, 'launch');
  const { runtime } = bench;
  const prefix = `[${options.backend} ${size}]`;
  try {
    const { tenantId } = await runtime.tenants.createTenant({
      name: 'Bench Launch',
      plan: 'enterprise',
      actor: 'bench',
    });
    const now = () => new Date();
    log(`${prefix} importing ${size} recipients (untimed)`);
    const { context, listId } = await seedAudience(runtime, tenantId, {
      header: 'email',
      row: (i) => `r${i}@bench.example`,
      count: size,
    });
    const campaignId = await draftCampaign(runtime, context, listId, {
      name: 'Bench',
      subject: 'Bench',
    });
    await runtime.projections.catchUp();

    log(`${prefix} launch`);
    // The launch is "killed" right after its last batch, before `CampaignQueued`, so that the
    // second launch below is a restart that finds every message queued already.
    const batches = Math.ceil(size / BATCH);
    let started = performance.now();
    const launch = await runtime.campaigns
      .launch(context, {
        campaignId,
        now: now(),
        afterBatch: (batch) => {
          if (batch === batches) throw new CrashAfterLastBatch();
        },
      })
      .then(
        () => {
          throw new Error('the launch should have stopped after its last batch');
        },
        (error: unknown) => {
          if (!(error instanceof CrashAfterLastBatch)) throw error;
          return { recipients: size, appended: size };
        },
      );
    let ms = performance.now() - started;
    const { rows: queued } = await runtime.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM mp_streams WHERE stream_id LIKE 'message-%'`,
    );
    if (Number(queued[0]!.n) !== size) throw new Error(`launch queued ${queued[0]!.n} of ${size}`);
    result.launch = {
      ms: Math.round(ms),
      messagesPerSec: rate(size, ms),
      recipients: launch.recipients,
      appended: launch.appended,
    };
    log(`${prefix}   ${result.launch.messagesPerSec} messages/s`);

    log(`${prefix} restarted launch (everything queued already)`);
    started = performance.now();
    const relaunch = await runtime.campaigns.launch(context, { campaignId, now: now() });
    result.relaunch = { ms: Math.round(performance.now() - started), appended: relaunch.appended };
    if (relaunch.appended !== 0 || relaunch.recipients !== size) {
      throw new Error(`a restarted launch queued ${relaunch.appended} of ${relaunch.recipients}`);
    }
    const { rows: events } = await runtime.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM mp_events WHERE stream_id LIKE 'message-%'`,
    );
    if (Number(events[0]!.n) !== size)
      throw new Error(`${events[0]!.n} message events for ${size}`);

    log(`${prefix} messages projection catch-up`);
    started = performance.now();
    await runtime.projections.catchUp(['messages']);
    ms = performance.now() - started;
    result.catchUp = { ms: Math.round(ms), messagesPerSec: rate(size, ms) };

    // Raw limit: as many rows of the same size as a MessageQueued event, in batches of 1000.
    const [sample] = await runtime.store.readAll({
      filter: { categories: [MESSAGE_STREAM_CATEGORY] },
      maxCount: 1,
    });
    const payload = JSON.stringify({ data: sample?.data, metadata: sample?.metadata });
    const pool = runtime.pool;
    await pool.query(
      `DROP TABLE IF EXISTS ${RAW_TABLE}; CREATE TABLE ${RAW_TABLE} (id uuid PRIMARY KEY, stream text, data jsonb)`,
    );
    const rounds: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      await pool.query(`TRUNCATE ${RAW_TABLE}`);
      started = performance.now();
      for (let done = 0; done < size; done += BATCH) {
        const ids = Array.from({ length: Math.min(BATCH, size - done) }, () => randomUUID());
        await pool.query(
          `INSERT INTO ${RAW_TABLE} (id, stream, data)
           SELECT x.id, x.stream, x.data FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS x(id, stream, data)`,
          [ids, ids.map((id) => `message-${id}`), ids.map(() => payload)],
        );
      }
      rounds.push(performance.now() - started);
    }
    await pool.query(`DROP TABLE ${RAW_TABLE}`);
    const rawMs = median(rounds);
    result.rawSql = {
      ms: Math.round(rawMs),
      rowsPerSec: rate(size, rawMs),
      payloadBytes: payload.length,
      rounds: rounds.map((r) => rate(size, r)),
    };
    result.ratio =
      Math.round((result.launch.messagesPerSec / result.rawSql.rowsPerSec) * 100) / 100;
    log(`${prefix}   raw INSERT ${result.rawSql.rowsPerSec} rows/s`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`${prefix} ERROR ${result.error}`);
  } finally {
    await bench.close();
  }
  return result;
};

const main = async () => {
  const options = parseCommandLine();
  const startedAt = new Date();
  const results: SizeResult[] = [];
  for (const size of options.sizes) results.push(await benchSize(options, size));
  const pad = (s: string, n: number) => s.padStart(n);
  const lines = [
    `Campaign launch on ${options.backend} (${os.cpus().length} CPUs); batches of ${BATCH}; raw = median of ${options.rounds} rounds`,
    '',
    `${pad('recipients', 10)} ${pad('launch s', 9)} ${pad('msgs/s', 8)} ${pad('restart s', 11)} ${pad('catch-up msgs/s', 15)} ${pad('raw INSERT rows/s', 17)} ${pad('ours/raw', 8)}`,
    ...results.map((r) =>
      r.error
        ? `${pad(String(r.size), 10)} ERROR ${r.error}`
        : `${pad(String(r.size), 10)} ${pad(((r.launch?.ms ?? 0) / 1000).toFixed(1), 9)} ${pad(String(r.launch?.messagesPerSec), 8)} ${pad(((r.relaunch?.ms ?? 0) / 1000).toFixed(1), 11)} ${pad(String(r.catchUp?.messagesPerSec), 15)} ${pad(String(r.rawSql?.rowsPerSec), 17)} ${pad(`${r.ratio}x`, 8)}`,
    ),
  ];
  const report = {
    benchmark: 'launch',
    startedAt: startedAt.toISOString(),
    backend: options.backend,
    environment: machine(),
    results,
  };
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `launch-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(report, null, 2);
  writeFileSync(file, `${json}\n`);
  process.stdout.write(`${lines.join('\n')}\n\n${json}\n`);
  if (results.some((r) => r.error)) process.exitCode = 1;
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
