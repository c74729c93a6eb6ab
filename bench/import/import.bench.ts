/**
 * CSV contact import benchmark: `ContactImporter.run` (the whole path: CSV, blind index,
 * suppressions, resolution, decisions, key preparation, encryption, multi-stream append) against
 * the raw limits it is built from, measured in the same run on the same database: parsing the
 * same file with `readContactsCsv` alone, inserting as many rows of the same size in batches
 * of the same size into a plain table, and the raw floor: the work no implementation can leave
 * out (CSV, blind index, a wrapped key and one sealed value per row, event texts and their
 * digest, one INSERT a batch into tables indexed as ours), written plainly, whose CPU per row
 * says what the rate target asks of the machine whatever the code around it.
 *
 *   npm run bench:import -- [--quick] [--sizes <n,n,...>] [--backend postgres|pglite] [--rounds <n>]
 *                            [--batch-size <n>] [--analyze]
 *
 * For each size: a CSV file of that many contacts is generated into a temporary folder (not
 * timed); a fresh database (PostgreSQL: `mp_bench_<random>` created from DATABASE_URL and dropped
 * at the end; PGlite: a fresh data folder) gets a fresh `MailpackrRuntime`, one tenant and one
 * contact list. Then, in this order: the import (wall time, rows/s, peak RSS and heap sampled
 * every 50 ms), the `recipients` projection catching up (the live projection loops are not
 * started, so import and projection are measured apart), a re-import of the same file (must add
 * nothing), and the raw limits (CSV, SQL, floor). Progress goes to stderr; the table of results and one JSON object
 * with every figure go to stdout, and the JSON is also written to
 * `bench/results/import-<timestamp>.json`.
 *
 * The import runs once per size (one import of a million rows is the measurement); the raw limits
 * run in rounds and report the median. Run with `--expose-gc` (the npm script does) so every
 * memory measurement starts from a collected heap.
 *
 * Statistics are left as the server keeps them (with autovacuum off, none at all, which is what
 * a fresh install sees during its first big import); `--analyze` refreshes them after the import.
 * The scans per table after each step go into the JSON, so a plan that scans a whole table per
 * batch shows up there.
 *
 * This is a script, not a test: it asserts only that every row was added, that the projection
 * holds every recipient, and that the re-import added nothing.
 */
import 'reflect-metadata';

import {
  type KeyObject,
  createCipheriv,
  createHmac,
  createSecretKey,
  hash,
  randomBytes,
  randomFillSync,
  randomUUID,
} from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type pg from 'pg';

import { RECIPIENT_STREAM_CATEGORY, contactListDecider, toContactListStreamId } from '#domain';
import {
  type ImportReport,
  MailpackrRuntime,
  STREAMING_HEAP_GROWTH_PERCENT,
  keepHeapNearLive,
  loadConfig,
  readContactsCsv,
  uuidFromName,
} from '#platform';

import { createScratchDatabase } from '../common/scratch-database.js';
import { postgresCpuSeconds } from '../common/process-cpu.js';
import { log, machine, median, positiveInt, repoRoot, table } from '../common/bench-cli.js';

// ── Command line ────────────────────────────────────────────────────────────────────────────────

type BackendName = 'pglite' | 'postgres';

const DEFAULT_SIZES = [200_000, 1_000_000];
const QUICK_SIZES = [20_000, 50_000];

const USAGE = `Usage: node --expose-gc dist/bench/import/import.bench.js [options]
  --sizes <n,n,...>    contacts per CSV file, one import each (default ${DEFAULT_SIZES.join(',')}; ${QUICK_SIZES.join(',')} with --quick)
  --quick              small sizes: a smoke run of every measurement
  --backend <b>        postgres | pglite (default postgres, which needs DATABASE_URL)
  --rounds <n>         rounds of the raw measurements, median reported (default 3; 2 with --quick)
  --batch-size <n>     rows per import batch and per raw INSERT (default 1000, the importer's default)
  --analyze            ANALYZE the database after the import, before the catch-up (untimed), as
                       autovacuum would on a server that runs it (default: statistics as they are)
  --profile <dir>      write a V8 CPU profile of each import (not the other steps) into <dir>
  --heap-growth <p>    v8: V8's own heap growth; default: the CLI import's policy (keepHeapNearLive, the
                       heap collected once it grows ${STREAMING_HEAP_GROWTH_PERCENT}% past what the last full collection kept)
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'postgres' },
      rounds: { type: 'string' },
      'batch-size': { type: 'string' },
      analyze: { type: 'boolean', default: false },
      profile: { type: 'string' },
      'heap-growth': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const backend = values.backend;
  if (backend !== 'pglite' && backend !== 'postgres') {
    throw new Error(`--backend must be postgres or pglite, got ${backend}`);
  }
  const backendName: BackendName = backend;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (backend === 'postgres' && !databaseUrl) {
    throw new Error(
      'DATABASE_URL is not set: the postgres backend needs it (a database mp_bench_<random> is ' +
        'created from it and dropped at the end), or pass --backend pglite',
    );
  }
  const quick = values.quick;
  const sizes =
    values.sizes === undefined
      ? quick
        ? QUICK_SIZES
        : DEFAULT_SIZES
      : values.sizes.split(',').map((s) => positiveInt(s.trim(), 'sizes')!);
  if (sizes.length === 0) throw new Error('--sizes needs at least one size');
  return {
    quick,
    backend: backendName,
    databaseUrl,
    sizes,
    rounds: positiveInt(values.rounds, 'rounds') ?? (quick ? 2 : 3),
    batchSize: positiveInt(values['batch-size'], 'batch-size') ?? 1000,
    analyze: values.analyze,
    profile: values.profile,
    heapGrowth: heapGrowth(values['heap-growth']),
  };
};

/** `v8` (V8's own factor, up to 4x the live heap) or a percent; by default the CLI import's. */
const heapGrowth = (value: string | undefined): 'v8' | number => {
  if (value === 'v8') return 'v8';
  return positiveInt(value, 'heap-growth') ?? STREAMING_HEAP_GROWTH_PERCENT;
};

type Options = ReturnType<typeof parseCommandLine>;

// ── Output model ────────────────────────────────────────────────────────────────────────────────

interface Figure {
  /** Median of the rounds. */
  rowsPerSec: number;
  rows: number;
  roundsRowsPerSec: number[];
  /** Median round time. */
  ms: number;
}

interface Memory {
  /** Before the step, right after a collection when `--expose-gc` is on. */
  startRssMb: number;
  startHeapUsedMb: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
  /** Peak RSS minus the RSS at the start of the step. */
  rssGrowthMb: number;
  endRssMb: number;
  /** Heap used after the step and a collection, minus the start: what the step kept (with gc). */
  retainedHeapMb: number;
  samples: number;
}

/** CPU time spent during a step, per row (µs): this process, and PostgreSQL's processes. */
interface CpuPerRow {
  benchUs: number;
  postgresUs?: number;
}

interface Timed {
  rows: number;
  ms: number;
  rowsPerSec: number;
  memory: Memory;
  loadAverage: number[];
  cpu: CpuPerRow;
}

interface SizeResult {
  size: number;
  csvBytes: number;
  /** The importer's own report (problems left out) of the first import. */
  import?: Timed & { report: Omit<ImportReport, 'problems' | 'position'> };
  catchUp?: Timed & { recipients: number };
  reimport?: Timed & { report: Omit<ImportReport, 'problems' | 'position'> };
  events?: { count: number; perRow: number; avgDataBytes: number; avgMetadataBytes: number };
  /** ANALYZE after the import (`--analyze`), untimed in the figures. */
  analyzeMs?: number;
  /**
   * Sequential and index scans per table after each step (cumulative): a sequential scan per batch
   * on a growing table makes a step slow down as the data grows.
   */
  tableScans?: Record<string, Record<string, string>>;
  rawCsv?: Figure;
  rawSql?: Figure & { payloadBytes: number; postgresUsPerRow?: number };
  rawFloor?: Figure & { cpu: CpuPerRow };
  ratios?: Record<string, number>;
  error?: string;
  durationSec: number;
}

interface TargetCheck {
  size: number | 'all';
  target: string;
  value: string;
  met: boolean;
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

const rate = (rows: number, ms: number): number => (ms > 0 ? (rows * 1000) / ms : 0);

const fmtRate = (n: number): string => Math.round(n).toLocaleString('en-US');

const fmtCpu = (cpu: CpuPerRow): string =>
  `CPU per row: bench process ${cpu.benchUs} µs` +
  (cpu.postgresUs === undefined ? '' : `, PostgreSQL ${cpu.postgresUs} µs`);

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

const collectGarbage = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
};

/** Samples `process.memoryUsage()` every 50 ms (and on demand) between `start` and `stop`. */
class MemorySampler {
  private timer?: NodeJS.Timeout;
  private startRss = 0;
  private startHeap = 0;
  private peakRss = 0;
  private peakHeap = 0;
  private samples = 0;

  start(): void {
    collectGarbage();
    const usage = process.memoryUsage();
    this.startRss = this.peakRss = usage.rss;
    this.startHeap = this.peakHeap = usage.heapUsed;
    this.samples = 1;
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): void {
    const usage = process.memoryUsage();
    this.samples++;
    if (usage.rss > this.peakRss) this.peakRss = usage.rss;
    if (usage.heapUsed > this.peakHeap) this.peakHeap = usage.heapUsed;
  }

  stop(): Memory {
    clearInterval(this.timer);
    this.sample();
    const endRss = process.memoryUsage().rss;
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - this.startHeap;
    return {
      startRssMb: mb(this.startRss),
      startHeapUsedMb: mb(this.startHeap),
      peakRssMb: mb(this.peakRss),
      peakHeapUsedMb: mb(this.peakHeap),
      rssGrowthMb: mb(this.peakRss - this.startRss),
      endRssMb: mb(endRss),
      retainedHeapMb: mb(retained),
      samples: this.samples,
    };
  }
}

/** Times `work` under a memory sampler. */
const measured = async <T>(
  work: (sampler: MemorySampler) => Promise<T>,
  withPostgres: boolean,
): Promise<{
  value: T;
  ms: number;
  memory: Memory;
  loadAverage: number[];
  cpuPerRow: (rows: number) => CpuPerRow;
}> => {
  const sampler = new MemorySampler();
  const load = loadAverage();
  sampler.start();
  const cpuBefore = process.cpuUsage();
  const postgresBefore = withPostgres ? postgresCpuSeconds() : undefined;
  const started = performance.now();
  try {
    const value = await work(sampler);
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const postgresAfter = withPostgres ? postgresCpuSeconds() : undefined;
    const postgres =
      postgresBefore === undefined || postgresAfter === undefined
        ? undefined
        : (postgresAfter - postgresBefore) * 1e6;
    const cpuPerRow = (rows: number): CpuPerRow => ({
      benchUs: Math.round((cpu.user + cpu.system) / Math.max(rows, 1)),
      ...(postgres === undefined ? {} : { postgresUs: Math.round(postgres / Math.max(rows, 1)) }),
    });
    return { value, ms, memory: sampler.stop(), loadAverage: load, cpuPerRow };
  } catch (error) {
    sampler.stop();
    throw error;
  }
};

// ── CSV files ───────────────────────────────────────────────────────────────────────────────────

// prettier-ignore
const FIRST_NAMES = [
  'Anna', 'Ben', 'Chloe', 'Daniel', 'Elena', 'Felix', 'Grace', 'Hugo', 'Isabel', 'Jonas',
  'Katarina', 'Liam', 'Maria', 'Noah', 'Olivia', 'Pierre', 'Quinn', 'Rosa', 'Sebastian', 'Tara',
  'Ulrich', 'Valentina', 'William', 'Ximena', 'Yusuf', 'Zoe', 'Alexander', 'Mei', 'Joao', 'Aisha',
];
// prettier-ignore
const LAST_NAMES = [
  'Andersson', 'Brown', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hernandez',
  'Ivanova', 'Johansson', 'Kowalski', 'Lindqvist', 'Martinez', 'Nakamura', 'Okafor', 'Petrov',
  'Quintero', 'Rossi', 'Schmidt', 'Thompson', 'Umarov', 'Van der Berg', 'Williams', 'Xu', 'Yilmaz',
  'Zimmermann', 'MacDonald', 'Oliveira', 'Nguyen', 'Kim',
];
// Quoted ones carry a comma, as in exports from CRMs and spreadsheets.
// prettier-ignore
const CITIES = [
  'Berlin', 'Paris', 'Madrid', 'Amsterdam', 'Stockholm', 'Lisbon', 'Vienna', 'Warsaw',
  '"Portland, OR"', '"Springfield, IL"', '"Cambridge, MA"', '"Frankfurt am Main, Hessen"',
  'Copenhagen', 'Dublin', 'Zurich', '"Austin, TX"', 'Milan', 'Prague', 'Oslo', 'Helsinki',
];
const PLANS = ['free', 'free', 'free', 'starter', 'pro', 'business'];
const DOMAINS = [
  'gmail.com',
  'outlook.com',
  'yahoo.com',
  'proton.me',
  'fastmail.fm',
  'example.com',
  'acme-industries.example',
  'mail.northwind-traders.example',
];

/** Small deterministic PRNG (mulberry32), so every run reads the same files. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Writes a CSV of `rows` contacts with unique emails; returns its size in bytes. */
const writeContactsCsv = (file: string, rows: number): number => {
  const random = prng(rows);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    const header = 'email,first_name,last_name,city,plan,signup_date\n';
    bytes += writeSync(fd, header);
    const start = Date.UTC(2019, 0, 1);
    const span = Date.UTC(2025, 0, 1) - start;
    let chunk: string[] = [];
    for (let i = 0; i < rows; i++) {
      const first = pick(FIRST_NAMES);
      const last = pick(LAST_NAMES);
      // The row number makes the address unique (names hold no digits).
      const local = `${first}.${last.replace(/ /g, '')}.${i}`.toLowerCase();
      const date = new Date(start + Math.floor(random() * span)).toISOString().slice(0, 10);
      chunk.push(
        `${local}@${pick(DOMAINS)},${first},${last},${pick(CITIES)},${pick(PLANS)},${date}\n`,
      );
      if (chunk.length === 5000) {
        bytes += writeSync(fd, chunk.join(''));
        chunk = [];
      }
    }
    if (chunk.length > 0) bytes += writeSync(fd, chunk.join(''));
  } finally {
    closeSync(fd);
  }
  return bytes;
};

// ── Databases ───────────────────────────────────────────────────────────────────────────────────

interface Database {
  /** Undefined for PGlite: the runtime starts its embedded server in its data folder. */
  connectionString?: string;
  dispose(): Promise<void>;
}

const startDatabase = async (
  name: BackendName,
  databaseUrl: string | undefined,
): Promise<Database> => {
  if (name === 'pglite') return { dispose: () => Promise.resolve() };
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  return createScratchDatabase(databaseUrl, log);
};

/** Runs `work` at most once; later calls share the first call's promise. */
const once = (work: () => Promise<void>): (() => Promise<void>) => {
  let done: Promise<void> | undefined;
  return () => (done ??= work());
};

/** Cleanups still to run; an interrupt runs them before exiting. */
const pendingCleanups = new Set<() => Promise<void>>();
/** Set on SIGINT: nothing new is started while the cleanups run. */
let interrupted = false;

/** Registers `cleanup` until it has run; returns the function that runs it. */
const cleanupLater = (work: () => Promise<void>): (() => Promise<void>) => {
  const run = once(work);
  pendingCleanups.add(run);
  return async () => {
    try {
      await run();
    } finally {
      pendingCleanups.delete(run);
    }
  };
};

const serverInfo = async (pool: pg.Pool): Promise<Record<string, string>> => {
  const settings = [
    'server_version',
    'shared_buffers',
    'synchronous_commit',
    'fsync',
    'wal_level',
    'max_wal_size',
    'autovacuum',
    'jit',
    'max_parallel_workers_per_gather',
  ];
  const { rows } = await pool.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])',
    [settings],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
};

// ── One size ────────────────────────────────────────────────────────────────────────────────────

/** A V8 CPU profile of this process from now until `stop` (open it in Chrome DevTools). */
const startProfiler = async () => {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file: string): Promise<void> {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
};

const RAW_TABLE = 'bench_raw_import';
const RAW_INSERT = `INSERT INTO ${RAW_TABLE} (id, stream, data)
  SELECT x.id, x.stream, x.data FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS x(id, stream, data)`;

/** What the importer reports, without the (possibly long) list of problems. */
const summary = (report: ImportReport): Omit<ImportReport, 'problems' | 'position'> => {
  const { problems: _problems, position: _position, ...rest } = report;
  return rest;
};

/** `count` distinct JSON texts of `bytes` bytes each, shaped like an encrypted recipient event. */
const rawPayloads = (count: number, bytes: number): string[] =>
  Array.from({ length: count }, () => {
    const base = {
      recipientId: randomUUID(),
      tenantId: randomUUID(),
      email: { v: 1, k: randomUUID(), iv: randomBytes(12).toString('base64'), ct: '' },
    };
    const size = JSON.stringify(base).length;
    const fill = randomBytes(Math.ceil(Math.max(0, bytes - size) * 0.75) + 3)
      .toString('base64')
      .slice(0, Math.max(0, bytes - size));
    return JSON.stringify({ ...base, email: { ...base.email, ct: fill } });
  });

class SizeBench {
  private runtime?: MailpackrRuntime;
  private tenantId = '';
  private listId = '';

  constructor(
    private readonly options: Options,
    readonly size: number,
    private readonly file: string,
    private readonly result: SizeResult,
  ) {}

  private get prefix(): string {
    return `[${this.options.backend} ${fmtRate(this.size)}]`;
  }

  private get pool(): pg.Pool {
    return this.runtime!.pool;
  }

  async open(connectionString: string | undefined, dataDir: string): Promise<void> {
    const config = loadConfig(
      {},
      {
        DATABASE_URL: connectionString,
        MAILPACKR_KEK: randomBytes(32).toString('base64'),
        MAILPACKR_DATA_DIR: dataDir,
        NODE_ENV: 'production',
        MAILPACKR_RETENTION_INTERVAL_MINUTES: '0',
      },
    );
    this.runtime = await MailpackrRuntime.start(config);
    const created = await this.runtime.tenants.createTenant({
      name: 'Bench Import',
      plan: 'enterprise',
      actor: 'bench',
    });
    this.tenantId = created.tenantId;
    this.listId = uuidFromName(`list:${this.tenantId}:bench`);
    await this.runtime.commands.handle(
      toContactListStreamId(this.listId),
      contactListDecider,
      {
        type: 'CreateContactList',
        data: { listId: this.listId, tenantId: this.tenantId, name: 'Imported contacts' },
        metadata: { now: new Date() },
      },
      { tenantId: this.tenantId, actor: 'bench' },
    );
    // Read models up to date before the import; the live loops are never started.
    await this.runtime.projections.catchUp();
  }

  async close(): Promise<void> {
    await this.runtime?.close();
  }

  async server(): Promise<Record<string, string>> {
    return serverInfo(this.pool);
  }

  private async importOnce(what: string): Promise<Timed & { report: ImportReport }> {
    const runtime = this.runtime!;
    let nextLog = 0;
    const step = Math.max(this.options.batchSize, Math.round(this.size / 10));
    const profiler = this.options.profile ? await startProfiler() : undefined;
    const { value, ms, memory, loadAverage, cpuPerRow } = await measured(async (sampler) => {
      const started = performance.now();
      return runtime.contactImport.run({
        context: { tenantId: this.tenantId, actor: 'bench' },
        listId: this.listId,
        source: createReadStream(this.file),
        batchSize: this.options.batchSize,
        onProgress: (progress) => {
          sampler.sample();
          if (progress.rows >= nextLog) {
            nextLog += step;
            const usage = process.memoryUsage();
            log(
              `${this.prefix}   ${what}: ${fmtRate(progress.rows)} rows, ${fmtRate(rate(progress.rows, performance.now() - started))} rows/s, ` +
                `added ${fmtRate(progress.added)}, skipped ${fmtRate(progress.skipped)}, rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)} MB`,
            );
          }
        },
      });
    }, this.options.backend === 'postgres');
    if (profiler) {
      const file = path.join(
        this.options.profile!,
        `import-${this.options.backend}-${this.size}-${what}.cpuprofile`,
      );
      await profiler.stop(file);
      log(`${this.prefix}   ${what}: CPU profile written to ${file}`);
    }
    return {
      report: value,
      rows: value.rows,
      ms,
      rowsPerSec: rate(value.rows, ms),
      memory,
      loadAverage,
      cpu: cpuPerRow(value.rows),
    };
  }

  async import(): Promise<void> {
    log(`${this.prefix} import (load average ${loadAverage().join(' ')})`);
    const run = await this.importOnce('import');
    const { report } = run;
    this.result.import = { ...run, report: summary(report) };
    log(
      `${this.prefix} import: ${fmtRate(run.rows)} rows in ${(run.ms / 1000).toFixed(1)}s = ${fmtRate(run.rowsPerSec)} rows/s; ` +
        `peak rss ${run.memory.peakRssMb} MB (+${run.memory.rssGrowthMb}), peak heap ${run.memory.peakHeapUsedMb} MB; ${fmtCpu(run.cpu)}`,
    );
    if (report.rows !== this.size || report.added !== this.size || report.invalid > 0) {
      throw new Error(
        `import of ${this.size} rows read ${report.rows}, added ${report.added}, updated ${report.updated}, ` +
          `skipped ${report.skipped.total}, invalid ${report.invalid} (${JSON.stringify(report.problems.slice(0, 3))})`,
      );
    }
  }

  async catchUp(): Promise<void> {
    const runtime = this.runtime!;
    const { ms, memory, loadAverage, cpuPerRow } = await measured(
      () => runtime.projections.catchUp(['recipients']),
      this.options.backend === 'postgres',
    );
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM recipients WHERE tenant_id = $1 AND status = 'active'`,
      [this.tenantId],
    );
    const recipients = Number(rows[0]!.n);
    this.result.catchUp = {
      rows: this.size,
      ms,
      rowsPerSec: rate(this.size, ms),
      memory,
      loadAverage,
      cpu: cpuPerRow(this.size),
      recipients,
    };
    log(
      `${this.prefix} recipients projection catch-up: ${(ms / 1000).toFixed(1)}s = ${fmtRate(rate(this.size, ms))} rows/s; ` +
        `peak rss ${memory.peakRssMb} MB; ${fmtCpu(this.result.catchUp.cpu)}`,
    );
    if (recipients !== this.size)
      throw new Error(`the recipients projection holds ${recipients} of ${this.size} recipients`);
  }

  async reimport(): Promise<void> {
    log(`${this.prefix} re-import of the same file`);
    const run = await this.importOnce('re-import');
    const { report } = run;
    this.result.reimport = { ...run, report: summary(report) };
    log(
      `${this.prefix} re-import: ${fmtRate(run.rows)} rows in ${(run.ms / 1000).toFixed(1)}s = ${fmtRate(run.rowsPerSec)} rows/s; ` +
        `added ${report.added}, updated ${report.updated}, unchanged ${report.skipped.unchanged}; ${fmtCpu(run.cpu)}`,
    );
    if (report.added !== 0 || report.updated !== 0 || report.rows !== this.size) {
      throw new Error(
        `re-import of ${this.size} rows added ${report.added} and updated ${report.updated} (must be 0)`,
      );
    }
  }

  async eventStats(): Promise<void> {
    const { rows } = await this.pool.query<{ n: string; data: string; metadata: string }>(
      `SELECT count(*)::text AS n, coalesce(avg(octet_length(data::text)), 0)::text AS data,
              coalesce(avg(octet_length(metadata::text)), 0)::text AS metadata
         FROM mp_events WHERE category = $1`,
      [RECIPIENT_STREAM_CATEGORY],
    );
    const count = Number(rows[0]!.n);
    this.result.events = {
      count,
      perRow: Math.round((count / this.size) * 100) / 100,
      avgDataBytes: Math.round(Number(rows[0]!.data)),
      avgMetadataBytes: Math.round(Number(rows[0]!.metadata)),
    };
    log(
      `${this.prefix} ${fmtRate(count)} recipient events, data ${this.result.events.avgDataBytes} B + ` +
        `metadata ${this.result.events.avgMetadataBytes} B on average`,
    );
  }

  async tableScans(step: string): Promise<void> {
    const { rows } = await this.pool.query<{ relname: string; seq: string; idx: string }>(
      `SELECT relname, seq_scan::text AS seq, coalesce(idx_scan, 0)::text AS idx
         FROM pg_stat_user_tables WHERE relname = ANY($1::text[]) ORDER BY relname`,
      [['mp_events', 'mp_streams', 'mp_subject_keys', 'recipients', 'recipient_memberships']],
    );
    this.result.tableScans ??= {};
    this.result.tableScans[step] = Object.fromEntries(
      rows.map((r) => [r.relname, `seq_scan ${r.seq}, idx_scan ${r.idx}`]),
    );
  }

  async analyze(): Promise<void> {
    const started = performance.now();
    await this.pool.query('ANALYZE');
    this.result.analyzeMs = Math.round(performance.now() - started);
    log(
      `${this.prefix} ANALYZE after the import: ${(this.result.analyzeMs / 1000).toFixed(1)}s (not timed)`,
    );
  }

  /** The same file through `readContactsCsv` only. */
  async rawCsv(): Promise<void> {
    const rows: number[] = [];
    const ms: number[] = [];
    for (let round = 0; round < this.options.rounds; round++) {
      let count = 0;
      const started = performance.now();
      for await (const record of readContactsCsv(createReadStream(this.file))) {
        if (record.kind === 'row') count++;
      }
      const elapsed = performance.now() - started;
      if (count !== this.size) throw new Error(`raw CSV parse read ${count} of ${this.size} rows`);
      rows.push(count);
      ms.push(elapsed);
      log(
        `${this.prefix}   raw CSV parse round ${round + 1}/${this.options.rounds}: ${fmtRate(rate(count, elapsed))} rows/s`,
      );
    }
    this.result.rawCsv = figure(rows, ms);
  }

  /** As many rows, in batches of the same size, into a plain table, payload as large as ours. */
  async rawSql(): Promise<void> {
    const measuredBytes = this.result.events
      ? this.result.events.avgDataBytes + this.result.events.avgMetadataBytes
      : 0;
    const payloadBytes = measuredBytes > 0 ? measuredBytes : 600;
    const batch = this.options.batchSize;
    const payloads = rawPayloads(batch, payloadBytes);
    await this.pool.query(
      `DROP TABLE IF EXISTS ${RAW_TABLE}; CREATE TABLE ${RAW_TABLE} (id uuid, stream text, data jsonb)`,
    );
    const client = await this.pool.connect();
    const rows: number[] = [];
    const ms: number[] = [];
    const postgresUs: number[] = [];
    try {
      const insert = async (count: number) => {
        const ids = Array.from({ length: count }, () => randomUUID());
        await client.query(RAW_INSERT, [
          ids,
          ids.map((id) => `${RECIPIENT_STREAM_CATEGORY}-${id}`),
          count === payloads.length ? payloads : payloads.slice(0, count),
        ]);
      };
      await insert(batch); // warm the plan, untimed
      for (let round = 0; round < this.options.rounds; round++) {
        await client.query(`TRUNCATE ${RAW_TABLE}`);
        const postgresBefore = postgresCpuSeconds();
        const started = performance.now();
        for (let done = 0; done < this.size; done += batch)
          await insert(Math.min(batch, this.size - done));
        const elapsed = performance.now() - started;
        const postgresAfter = postgresCpuSeconds();
        if (postgresBefore !== undefined && postgresAfter !== undefined)
          postgresUs.push(((postgresAfter - postgresBefore) * 1e6) / this.size);
        rows.push(this.size);
        ms.push(elapsed);
        log(
          `${this.prefix}   raw SQL insert round ${round + 1}/${this.options.rounds}: ${fmtRate(rate(this.size, elapsed))} rows/s` +
            (postgresUs.length > round
              ? `, PostgreSQL ${Math.round(postgresUs[round]!)} µs CPU per row`
              : ''),
        );
      }
      const { rows: counted } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${RAW_TABLE}`,
      );
      if (Number(counted[0]!.n) !== this.size)
        throw new Error(`raw SQL table holds ${counted[0]!.n} of ${this.size} rows`);
      await client.query(`DROP TABLE ${RAW_TABLE}`);
    } finally {
      client.release();
    }
    this.result.rawSql = {
      ...figure(rows, ms),
      payloadBytes,
      ...(postgresUs.length > 0 ? { postgresUsPerRow: Math.round(median(postgresUs)) } : {}),
    };
  }

  /**
   * The work that no implementation of this import can leave out, written plainly beside ours:
   * the same file through `readContactsCsv`; per row the blind index (HMAC-SHA256), a data key
   * wrapped under a key-encryption key and the personal fields sealed under it (AES-256-GCM
   * each), the event's data and metadata texts as large as ours and their SHA-256; per batch one
   * statement that inserts the keys, the stream heads and the events into tables indexed as ours
   * are. No decisions, no duplicate or suppression lookups, no hash chain, random ids instead of
   * derived ones, one batch at a time. Its CPU per row is a floor for ours, whatever the code.
   */
  async rawFloor(): Promise<void> {
    await this.pool.query(FLOOR_TABLES);
    const client = await this.pool.connect();
    const kek = createSecretKey(randomBytes(32));
    const indexKey = createSecretKey(randomBytes(32));
    const tenantId = randomUUID();
    const listId = randomUUID();
    const random = Buffer.allocUnsafe(FLOOR_RANDOM_BYTES * this.options.batchSize);
    const rows: number[] = [];
    const ms: number[] = [];
    const cpu: CpuPerRow[] = [];
    try {
      for (let round = 0; round < this.options.rounds; round++) {
        await client.query(`TRUNCATE ${FLOOR_TABLE_NAMES.join(', ')}`);
        let count = 0;
        let batch: FloorRow[] = [];
        const flush = async () => {
          if (batch.length > 0) await client.query(FLOOR_INSERT, floorParams(batch));
          batch = [];
        };
        const run = await measured(async () => {
          const now = new Date().toISOString();
          for await (const record of readContactsCsv(createReadStream(this.file))) {
            if (record.kind !== 'row') continue;
            // Random bytes drawn a batch at a time, as our random pool does.
            if (batch.length === 0) randomFillSync(random);
            const own = random.subarray(batch.length * FLOOR_RANDOM_BYTES);
            count++;
            batch.push(floorRow(record, own, { kek, indexKey, tenantId, listId, now }));
            if (batch.length >= this.options.batchSize) await flush();
          }
          await flush();
        }, this.options.backend === 'postgres');
        if (count !== this.size) throw new Error(`raw floor read ${count} of ${this.size} rows`);
        rows.push(count);
        ms.push(run.ms);
        cpu.push(run.cpuPerRow(count));
        log(
          `${this.prefix}   raw floor round ${round + 1}/${this.options.rounds}: ${fmtRate(rate(count, run.ms))} rows/s, ` +
            fmtCpu(cpu[round]!),
        );
      }
      const { rows: counted } = await client.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM bench_floor_events',
      );
      if (Number(counted[0]!.n) !== this.size)
        throw new Error(`raw floor table holds ${counted[0]!.n} of ${this.size} rows`);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${FLOOR_TABLE_NAMES.join(', ')}`).catch(() => {});
      client.release();
    }
    const middle = (pick: (c: CpuPerRow) => number | undefined) => {
      const values = cpu.map(pick).filter((v): v is number => v !== undefined);
      return values.length === cpu.length ? Math.round(median(values)) : undefined;
    };
    const postgresUs = middle((c) => c.postgresUs);
    this.result.rawFloor = {
      ...figure(rows, ms),
      cpu: {
        benchUs: middle((c) => c.benchUs)!,
        ...(postgresUs === undefined ? {} : { postgresUs }),
      },
    };
  }
}

// ── The floor: the essential work of an import, without our code around it ────────────────────

const FLOOR_TABLE_NAMES = ['bench_floor_events', 'bench_floor_streams', 'bench_floor_keys'];

/** Shaped and indexed as `mp_subject_keys`, `mp_streams` and `mp_events`. */
const FLOOR_TABLES = /* sql */ `
  DROP TABLE IF EXISTS ${FLOOR_TABLE_NAMES.join(', ')};
  CREATE TABLE bench_floor_keys (subject_id text PRIMARY KEY, tenant_id text, wrapped_key bytea NOT NULL);
  CREATE TABLE bench_floor_streams (stream_id text PRIMARY KEY, revision bigint NOT NULL, head_hash bytea NOT NULL);
  CREATE TABLE bench_floor_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text NOT NULL,
    stream_revision bigint NOT NULL,
    event_id        uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    data            json NOT NULL,
    metadata        json NOT NULL,
    hash            bytea NOT NULL,
    UNIQUE (stream_id, stream_revision),
    PRIMARY KEY (transaction_id, global_position)
  );`;

const FLOOR_INSERT = /* sql */ `
  WITH keys AS (
    INSERT INTO bench_floor_keys (subject_id, tenant_id, wrapped_key)
    SELECT k.s, $2, k.w FROM unnest($1::text[], $3::bytea[]) AS k(s, w)
  ), heads AS (
    INSERT INTO bench_floor_streams (stream_id, revision, head_hash)
    SELECT h.s, 0, h.h FROM unnest($4::text[], $7::bytea[]) AS h(s, h)
  )
  INSERT INTO bench_floor_events (stream_id, stream_revision, event_id, event_type, data, metadata, hash)
  SELECT x.s, 0, x.id, 'RecipientAdded', x.d, x.m, x.h
    FROM ROWS FROM (unnest($4::text[]), unnest($5::uuid[]), json_array_elements($6::json),
                    json_array_elements($8::json), unnest($7::bytea[])) AS x(s, id, d, m, h)`;

interface FloorRow {
  subjectId: string;
  tenantId: string;
  wrappedKey: Buffer;
  eventId: string;
  data: string;
  metadata: string;
  hash: Buffer;
}

const FLOOR_AAD = Buffer.from('bench-floor-kek-wrap');
/** A data key and two IVs. */
const FLOOR_RANDOM_BYTES = 32 + 12 + 12;

/** One row's essential work: index, key, wrap, seal, event texts, digest. */
const floorRow = (
  record: { email: string; name: string | null; attributes: Record<string, string> },
  random: Buffer,
  keys: { kek: KeyObject; indexKey: KeyObject; tenantId: string; listId: string; now: string },
): FloorRow => {
  const email = record.email.trim();
  const at = email.lastIndexOf('@');
  const address = email.slice(0, at) + email.slice(at).toLowerCase();
  const emailIndex = createHmac('sha256', keys.indexKey)
    .update(`${keys.tenantId}:${address}`)
    .digest('hex');
  const subjectId = randomUUID();
  const dataKey = random.subarray(0, 32);
  const wrapIv = random.subarray(32, 44);
  const wrap = createCipheriv('aes-256-gcm', keys.kek, wrapIv).setAAD(FLOOR_AAD);
  const wrapped = Buffer.concat([wrapIv, wrap.update(dataKey), wrap.final(), wrap.getAuthTag()]);
  const sealIv = random.subarray(44, 56);
  const seal = createCipheriv('aes-256-gcm', dataKey, sealIv).setAAD(
    Buffer.from(`${subjectId}|RecipientAdded#email,name,attributes`),
  );
  const sealed = Buffer.concat([
    sealIv,
    seal.update(JSON.stringify([address, record.name, record.attributes])),
    seal.final(),
    seal.getAuthTag(),
  ]).toString('base64');
  const data = JSON.stringify({
    recipientId: subjectId,
    tenantId: keys.tenantId,
    email: { $pii: 1, s: subjectId, c: sealed, g: ['email', 'name', 'attributes'] },
    emailIndex,
    source: 'import',
    addedAt: keys.now,
    listIds: [keys.listId],
    consent: { source: 'import', collectedAt: keys.now },
  });
  const commandId = randomUUID();
  const metadata = JSON.stringify({
    commandId,
    correlationId: commandId,
    causationId: commandId,
    tenantId: keys.tenantId,
    actor: 'bench',
    schemaVersion: 1,
    timestamp: keys.now,
  });
  return {
    subjectId,
    tenantId: keys.tenantId,
    wrappedKey: wrapped,
    eventId: randomUUID(),
    data,
    metadata,
    hash: hash('sha256', data + metadata, 'buffer'),
  };
};

const floorParams = (batch: readonly FloorRow[]): unknown[] => [
  batch.map((r) => r.subjectId),
  batch[0]!.tenantId,
  batch.map((r) => r.wrappedKey),
  batch.map((r) => `${RECIPIENT_STREAM_CATEGORY}-${r.subjectId}`),
  batch.map((r) => r.eventId),
  `[${batch.map((r) => r.data).join(',')}]`,
  batch.map((r) => r.hash),
  `[${batch.map((r) => r.metadata).join(',')}]`,
];

const figure = (rowsPerRound: number[], msPerRound: number[]): Figure => {
  const rounds = rowsPerRound.map((r, i) => rate(r, msPerRound[i]!));
  return {
    rowsPerSec: median(rounds),
    rows: Math.round(median(rowsPerRound)),
    roundsRowsPerSec: rounds.map((r) => Math.round(r)),
    ms: Math.round(median(msPerRound)),
  };
};

/** CPU per row of this process and PostgreSQL together, when both were measured. */
const cpuUs = (cpu: CpuPerRow | undefined): number | undefined =>
  cpu?.postgresUs === undefined ? undefined : cpu.benchUs + cpu.postgresUs;

const ratios = (result: SizeResult): Record<string, number> => {
  const out: Record<string, number> = {};
  const r = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b ? Math.round((a / b) * 1000) / 1000 : undefined;
  const entries: Array<[string, number | undefined]> = [
    ['import_vs_raw_sql', r(result.import?.rowsPerSec, result.rawSql?.rowsPerSec)],
    ['import_vs_raw_csv', r(result.import?.rowsPerSec, result.rawCsv?.rowsPerSec)],
    ['catch_up_vs_raw_sql', r(result.catchUp?.rowsPerSec, result.rawSql?.rowsPerSec)],
    ['reimport_vs_raw_csv', r(result.reimport?.rowsPerSec, result.rawCsv?.rowsPerSec)],
    ['import_cpu_vs_raw_floor', r(cpuUs(result.import?.cpu), cpuUs(result.rawFloor?.cpu))],
  ];
  for (const [key, value] of entries) if (value !== undefined) out[key] = value;
  return out;
};

const runSize = async (
  options: Options,
  size: number,
  workDir: string,
  server: { info?: Record<string, string> },
): Promise<SizeResult> => {
  const started = performance.now();
  const result: SizeResult = { size, csvBytes: 0, durationSec: 0 };
  const prefix = `[${options.backend} ${fmtRate(size)}]`;
  const file = path.join(workDir, `contacts-${size}.csv`);
  const dataDir = path.join(workDir, `data-${size}`);
  mkdirSync(dataDir);
  const removeFiles = cleanupLater(async () => {
    await rm(file, { force: true });
    await rm(dataDir, { recursive: true, force: true });
  });
  let dispose: (() => Promise<void>) | undefined;
  let closeBench: (() => Promise<void>) | undefined;
  try {
    log(`\n${prefix} writing ${fmtRate(size)} contacts`);
    const written = performance.now();
    result.csvBytes = writeContactsCsv(file, size);
    log(
      `${prefix} wrote ${mb(statSync(file).size)} MB in ${((performance.now() - written) / 1000).toFixed(1)}s (not timed)`,
    );
    if (interrupted) throw new Error('interrupted');
    const database = await startDatabase(options.backend, options.databaseUrl);
    dispose = cleanupLater(() => database.dispose());
    const bench = new SizeBench(options, size, file, result);
    closeBench = cleanupLater(() => bench.close());
    await bench.open(database.connectionString, dataDir);
    server.info ??= await bench.server();
    await bench.import();
    await bench.tableScans('after import');
    if (options.analyze) await bench.analyze();
    await bench.catchUp();
    await bench.tableScans('after catch-up');
    await bench.reimport();
    await bench.tableScans('after re-import');
    await bench.eventStats();
    await bench.rawCsv();
    await bench.rawSql();
    await bench.rawFloor();
  } catch (error) {
    result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`${prefix} FAILED: ${result.error}`);
  } finally {
    await closeBench?.().catch(() => undefined);
    await dispose?.().catch((error: unknown) => log(`${prefix} could not drop: ${String(error)}`));
    await removeFiles();
  }
  result.ratios = ratios(result);
  result.durationSec = Math.round((performance.now() - started) / 100) / 10;
  log(`${prefix} done in ${result.durationSec}s`);
  return result;
};

// ── Targets and printing ───────────────────────────────────────────────────────────────────────

const TARGET_ROWS_PER_SEC = 20_000;
const TARGET_PEAK_RSS_MB = 300;
/** "Flat": the largest import's peak RSS at most this much above the smallest one's. */
const FLAT_RSS_FACTOR = 1.25;
/** "Flat": what an import leaves on the heap (after a collection) must not grow with the file. */
const FLAT_RETAINED_MB = 16;

const checkTargets = (backend: BackendName, results: readonly SizeResult[]): TargetCheck[] => {
  const checks: TargetCheck[] = [];
  const done = results.filter((r) => r.import);
  for (const r of done) {
    checks.push({
      size: r.size,
      target: `import >= ${fmtRate(TARGET_ROWS_PER_SEC)} rows/s`,
      value: `${fmtRate(r.import!.rowsPerSec)} rows/s`,
      met: r.import!.rowsPerSec >= TARGET_ROWS_PER_SEC,
    });
    // PGlite's server lives in this process: its RSS is not the importer's.
    if (backend === 'postgres')
      checks.push({
        size: r.size,
        target: `import peak RSS < ${TARGET_PEAK_RSS_MB} MB`,
        value: `${r.import!.memory.peakRssMb} MB`,
        met: r.import!.memory.peakRssMb < TARGET_PEAK_RSS_MB,
      });
  }
  if (done.length >= 2) {
    const smallest = done.reduce((a, b) => (b.size < a.size ? b : a));
    const largest = done.reduce((a, b) => (b.size > a.size ? b : a));
    if (largest.size > smallest.size) {
      const factor = largest.import!.memory.peakRssMb / smallest.import!.memory.peakRssMb;
      checks.push({
        size: 'all',
        target: `memory flat: peak RSS at ${fmtRate(largest.size)} <= ${FLAT_RSS_FACTOR}x at ${fmtRate(smallest.size)}`,
        value: `${factor.toFixed(2)}x (${smallest.import!.memory.peakRssMb} -> ${largest.import!.memory.peakRssMb} MB)`,
        met: factor <= FLAT_RSS_FACTOR,
      });
      const kept = [smallest, largest].map((r) => r.import!.memory.retainedHeapMb);
      checks.push({
        size: 'all',
        target: `memory flat: heap kept after GC at ${fmtRate(largest.size)} <= at ${fmtRate(smallest.size)} + ${FLAT_RETAINED_MB} MB`,
        value: `${kept[0]} -> ${kept[1]} MB`,
        met: kept[1]! <= kept[0]! + FLAT_RETAINED_MB,
      });
    }
  }
  return checks;
};

const FIGURE_HEADER = [
  'rows',
  'measurement',
  'time',
  'rows/s',
  'peak RSS MB',
  'peak heap MB',
  'RSS growth',
  'heap kept MB',
  'CPU µs/row (bench + PG)',
  'ours vs raw',
];

const figureRows = (results: readonly SizeResult[]): string[][] => {
  const rows: string[][] = [];
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const ratio = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}x`);
  const mem = (m?: Memory) =>
    m
      ? [`${m.peakRssMb}`, `${m.peakHeapUsedMb}`, `+${m.rssGrowthMb}`, `${m.retainedHeapMb}`]
      : ['', '', '', ''];
  for (const r of results) {
    const row = (
      what: string,
      ms: number,
      rowsPerSec: number,
      m?: Memory,
      vsRaw = '',
      cpu?: CpuPerRow,
    ) =>
      rows.push([
        fmtRate(r.size),
        what,
        secs(ms),
        fmtRate(rowsPerSec),
        ...mem(m),
        cpu ? `${cpu.benchUs}${cpu.postgresUs === undefined ? '' : ` + ${cpu.postgresUs}`}` : '',
        vsRaw,
      ]);
    const q = r.ratios ?? {};
    if (r.import) {
      const vsRaw = `raw SQL ${ratio(q.import_vs_raw_sql)}, raw CSV ${ratio(q.import_vs_raw_csv)}`;
      row('import (ours)', r.import.ms, r.import.rowsPerSec, r.import.memory, vsRaw, r.import.cpu);
    }
    if (r.catchUp) {
      const vsRaw = `raw SQL ${ratio(q.catch_up_vs_raw_sql)}`;
      row(
        'recipients projection catch-up',
        r.catchUp.ms,
        r.catchUp.rowsPerSec,
        r.catchUp.memory,
        vsRaw,
        r.catchUp.cpu,
      );
    }
    if (r.import && r.catchUp) {
      const ms = r.import.ms + r.catchUp.ms;
      row('import + catch-up', ms, rate(r.size, ms));
    }
    if (r.reimport) {
      const vsRaw = `raw CSV ${ratio(q.reimport_vs_raw_csv)}`;
      row(
        're-import (adds 0)',
        r.reimport.ms,
        r.reimport.rowsPerSec,
        r.reimport.memory,
        vsRaw,
        r.reimport.cpu,
      );
    }
    if (r.rawCsv) row('raw: readContactsCsv only', r.rawCsv.ms, r.rawCsv.rowsPerSec);
    if (r.rawSql) {
      const what = `raw: SQL INSERT unnest, ${r.rawSql.payloadBytes} B jsonb`;
      row(
        what,
        r.rawSql.ms,
        r.rawSql.rowsPerSec,
        undefined,
        '',
        r.rawSql.postgresUsPerRow === undefined
          ? undefined
          : { benchUs: 0, postgresUs: r.rawSql.postgresUsPerRow },
      );
    }
    if (r.rawFloor) {
      row(
        'raw floor: CSV, crypto, 1 INSERT',
        r.rawFloor.ms,
        r.rawFloor.rowsPerSec,
        undefined,
        '',
        r.rawFloor.cpu,
      );
    }
    if (r.error) rows.push([fmtRate(r.size), 'FAILED (see below)', ...Array<string>(8).fill('')]);
  }
  return rows;
};

// ── Main ────────────────────────────────────────────────────────────────────────────────────────

const main = async (): Promise<void> => {
  let options: Options;
  try {
    options = parseCommandLine();
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const startedAt = new Date();
  const started = performance.now();
  const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  log(
    `import benchmark: backend ${options.backend}${options.quick ? ' (quick)' : ''}; sizes ${options.sizes.join(', ')}; ` +
      `batch ${options.batchSize}; ${options.rounds} rounds of raw; load average ${loadAverage().join(' ')}`,
  );
  if (!gcExposed) log('global.gc is not exposed (run with --expose-gc): memory starts uncollected');
  // The import runs as `mailpackr import` runs it: with the CLI's heap policy (unless --heap-growth v8).
  if (options.heapGrowth !== 'v8') keepHeapNearLive(options.heapGrowth);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mp-bench-import-'));
  const removeWorkDir = cleanupLater(() => rm(workDir, { recursive: true, force: true }));
  const results: SizeResult[] = [];
  const server: { info?: Record<string, string> } = {};
  const loadBefore = loadAverage();
  try {
    for (const size of options.sizes) {
      if (interrupted) break;
      results.push(await runSize(options, size, workDir, server));
    }
  } finally {
    await removeWorkDir();
  }
  const loadAfter = loadAverage();

  const targets = checkTargets(options.backend, results);
  const errors = results.filter((r) => r.error).map((r) => ({ size: r.size, error: r.error! }));

  const out: string[] = [];
  out.push(
    '',
    `Contact import benchmark (${options.quick ? 'quick' : 'full'}, ${options.backend}), ${startedAt.toISOString()}`,
  );
  out.push(
    `batches of ${options.batchSize} rows; import once per size, raw figures the median of ${options.rounds} rounds; ` +
      `load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; ${os.cpus().length} CPUs; ` +
      (options.heapGrowth === 'v8'
        ? "V8's own heap growth (--heap-growth v8)"
        : `heap collected at ${options.heapGrowth}% growth past live, as \`mailpackr import\` runs`),
  );
  if (server.info) {
    const { server_version, autovacuum, synchronous_commit, fsync } = server.info;
    out.push(
      `server ${server_version}: autovacuum ${autovacuum}, synchronous_commit ${synchronous_commit}, fsync ${fsync}; ` +
        (options.analyze
          ? 'ANALYZE after each import, before the catch-up'
          : 'statistics as autovacuum left them (--analyze to refresh them after the import)'),
    );
  }
  const events = results.find((r) => r.events)?.events;
  if (events)
    out.push(
      `our events: ${events.perRow} per row, data ${events.avgDataBytes} B + metadata ${events.avgMetadataBytes} B on average`,
    );
  if (options.backend === 'pglite')
    out.push('PGlite runs in this process: its memory is part of the RSS figures.');
  out.push('');
  out.push(table(FIGURE_HEADER, figureRows(results), new Set([0, 2, 3, 4, 5, 6, 7])));
  // What the rate target asks of the machine at the CPU cost per row just measured.
  for (const r of results) {
    const cpu = r.import?.cpu;
    if (cpu?.postgresUs === undefined) continue;
    const cores = ((cpu.benchUs + cpu.postgresUs) * TARGET_ROWS_PER_SEC) / 1e6;
    out.push(
      `${fmtRate(r.size)} rows: at ${cpu.benchUs} + ${cpu.postgresUs} µs of CPU per row, ` +
        `${fmtRate(TARGET_ROWS_PER_SEC)} rows/s would keep ${cores.toFixed(2)} cores busy (this machine has ${os.cpus().length})`,
    );
    const floor = r.rawFloor?.cpu;
    if (floor?.postgresUs === undefined) continue;
    const floorUs = floor.benchUs + floor.postgresUs;
    out.push(
      `${' '.repeat(fmtRate(r.size).length)}  the raw floor: ${floor.benchUs} + ${floor.postgresUs} µs, ` +
        `${((floorUs * TARGET_ROWS_PER_SEC) / 1e6).toFixed(2)} cores at ${fmtRate(TARGET_ROWS_PER_SEC)} rows/s; ` +
        `ours costs ${((cpu.benchUs + cpu.postgresUs) / floorUs).toFixed(2)}x its CPU`,
    );
  }
  if (targets.length > 0) {
    out.push('', 'Targets:');
    out.push(
      table(
        ['rows', 'target', 'value', 'result'],
        targets.map((t) => [
          typeof t.size === 'number' ? fmtRate(t.size) : t.size,
          t.target,
          t.value,
          t.met ? 'met' : 'MISSED',
        ]),
        new Set([0]),
      ),
    );
  }
  for (const e of errors) out.push('', `ERROR at ${fmtRate(e.size)} rows: ${e.error}`);

  const durationSec = Math.round((performance.now() - started) / 100) / 10;
  const report = {
    benchmark: 'import',
    startedAt: startedAt.toISOString(),
    durationSec,
    mode: options.quick ? 'quick' : 'full',
    backend: options.backend,
    environment: {
      ...machine(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
      gcExposed,
    },
    server: server.info ?? {},
    options: {
      sizes: options.sizes,
      rounds: options.rounds,
      batchSize: options.batchSize,
      analyze: options.analyze,
      heapGrowth: options.heapGrowth,
    },
    results,
    targets,
    errors,
  };
  const json = JSON.stringify(report, null, 2);

  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `import-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);

  out.push(
    '',
    `total ${durationSec}s; JSON written to ${path.relative(process.cwd(), file) || file}`,
    '',
  );
  process.stdout.write(`${out.join('\n')}\n${json}\n`);
  if (errors.length > 0) process.exitCode = 1;
};

process.once('SIGINT', () => {
  interrupted = true;
  log('\ninterrupted: cleaning up');
  void (async () => {
    for (const cleanup of [...pendingCleanups].reverse()) await cleanup().catch(() => undefined);
  })().finally(() => process.exit(130));
});

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
