/**
 * Event store benchmark: our PostgreSQL adapter against raw SQL doing the same work, measured in
 * the same run on the same database, so the ours/raw ratio is what the adapter costs.
 *
 *   npm run bench:event-store -- [--quick] [--events <n>] [--backend pglite|postgres|all] [--rounds <n>]
 *
 * Runs on embedded PGlite (in memory) always, and on PostgreSQL when DATABASE_URL is set (a fresh
 * database `mp_bench_<random>` is created from it and dropped at the end). Progress goes to
 * stderr; the table of results and one JSON object with every figure go to stdout, and the JSON is
 * also written to `bench/results/event-store-<timestamp>.json`.
 *
 * Every measurement runs in rounds that alternate ours and raw (ours first in even rounds, raw
 * first in odd ones), each on emptied tables; the figure reported is the median of the rounds.
 *
 * This is a script, not a test: it asserts only that every event was read back.
 */
import 'reflect-metadata';

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import {
  CAMPAIGN_EVENT_TYPES,
  type CampaignDrafted,
  type CampaignScheduled,
  CAMPAIGN_STREAM_CATEGORY,
  toCampaignStreamId,
} from '#domain';
import {
  EmbeddedPostgres,
  type EventMetadata,
  type EventToAppend,
  type ExpectedRevision,
  PostgresEventStore,
  createPool,
} from '#event-store';
import { ProjectionRunner, campaignsProjection, openReadModels } from '#projections';

import { createScratchDatabase } from '../common/scratch-database.js';
import { log, machine, median, positiveInt, repoRoot, table } from '../common/bench-cli.js';

// ── Command line ────────────────────────────────────────────────────────────────────────────────

type BackendName = 'pglite' | 'postgres';

const USAGE = `Usage: node dist/bench/event-store/event-store.bench.js [options]
  --events <n>         events for the catch-up measurement (default 200000; 5000 with --quick)
  --quick              small sizes: a smoke run of every measurement
  --backend <b>        pglite | postgres | all (default all: PGlite, and PostgreSQL when DATABASE_URL is set)
  --rounds <n>         rounds per measurement, ours and raw alternating (default 3; 2 with --quick)
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'all' },
      rounds: { type: 'string' },
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
  if (backend !== 'pglite' && backend !== 'postgres' && backend !== 'all') {
    throw new Error(`--backend must be pglite, postgres or all, got ${backend}`);
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (backend === 'postgres' && !databaseUrl)
    throw new Error('--backend postgres needs DATABASE_URL');
  const backends: BackendName[] =
    backend === 'all' ? (databaseUrl ? ['pglite', 'postgres'] : ['pglite']) : [backend];
  const quick = values.quick;
  const sizes = {
    /** Single-event appends per measurement (split over rounds and writers). */
    singleEvents: quick ? 400 : 5_000,
    /** Events of 100-event appends per measurement. */
    batchedEvents: quick ? 4_000 : 50_000,
    batchSize: 100,
    /** New streams (one event each) written with `appendMany` per measurement. */
    bulkStreams: quick ? 4_000 : 60_000,
    /** Streams per `appendMany` call. */
    bulkCallSize: 1_000,
    /** Events in the log for the catch-up read. */
    catchUpEvents: positiveInt(values.events, 'events') ?? (quick ? 5_000 : 200_000),
    catchUpPageSize: 1_000,
    /** Campaign streams for the rebuild, two events each. */
    rebuildCampaigns: quick ? 1_000 : 25_000,
    rounds: positiveInt(values.rounds, 'rounds') ?? (quick ? 2 : 3),
  };
  return { quick, backendOption: backend, backends, databaseUrl, sizes };
};

type Sizes = ReturnType<typeof parseCommandLine>['sizes'];

// ── Output model ────────────────────────────────────────────────────────────────────────────────

interface Figure {
  /** Median of the rounds. */
  eventsPerSec: number;
  /** Events measured over all rounds. */
  events: number;
  eventsPerRound: number;
  roundsEventsPerSec: number[];
  totalMs: number;
}

interface Result {
  backend: BackendName;
  measurement: string;
  key: string;
  writers: number;
  eventsPerCall: number;
  ours: Figure;
  raw: Figure;
  /** ours / raw, from the medians. */
  ratio: number;
  raw_baseline: string;
}

interface TargetCheck {
  backend: BackendName;
  measurement: string;
  target: string;
  value: number;
  met: boolean;
}

interface BackendReport {
  server: Record<string, string>;
  results: Result[];
  info: Record<string, number | string | Record<string, string>>;
  error?: string;
  durationSec: number;
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

const rate = (events: number, ms: number): number => (ms > 0 ? (events * 1000) / ms : 0);

const fmtRate = (n: number): string => Math.round(n).toLocaleString('en-US');

const tag = (): string => randomBytes(4).toString('hex');

/** Runs `writers` sequential loops of `perWriter` operations side by side; returns elapsed ms. */
const timeWriters = async (
  writers: number,
  perWriter: number,
  op: (writer: number, i: number) => Promise<unknown>,
): Promise<number> => {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) await op(w, i);
    }),
  );
  return performance.now() - started;
};

const figure = (eventsPerRound: number[], msPerRound: number[]): Figure => {
  const rounds = eventsPerRound.map((e, i) => rate(e, msPerRound[i]!));
  return {
    eventsPerSec: median(rounds),
    events: eventsPerRound.reduce((a, b) => a + b, 0),
    eventsPerRound: Math.round(median(eventsPerRound)),
    roundsEventsPerSec: rounds.map((r) => Math.round(r)),
    totalMs: Math.round(msPerRound.reduce((a, b) => a + b, 0)),
  };
};

// ── Payloads ────────────────────────────────────────────────────────────────────────────────────

const DATA_BYTES = 200;
const TENANT_ID = randomUUID();
const PAD = 'x'.repeat(DATA_BYTES);

/** ~200 bytes of JSON data: what a typical domain event carries. */
const benchData = (seq: number): Record<string, unknown> => {
  const base = { subjectId: randomUUID(), tenantId: TENANT_ID, seq, note: '' };
  const size = JSON.stringify(base).length;
  return { ...base, note: PAD.slice(0, Math.max(0, DATA_BYTES - size)) };
};

const benchMetadata = (): EventMetadata => ({
  tenantId: TENANT_ID,
  actor: 'system:bench',
  correlationId: randomUUID(),
});

const benchEvent = (seq: number): EventToAppend => ({
  eventId: randomUUID(),
  type: 'BenchEventRecorded',
  data: benchData(seq),
  metadata: benchMetadata(),
});

/** The metadata text exactly as the adapter stores it, so raw rows have the same size. */
const metadataText = (metadata: EventMetadata | undefined, now: string): string =>
  JSON.stringify({ schemaVersion: 1, ...metadata, timestamp: metadata?.timestamp ?? now });

const campaignEvents = (
  campaignId: string,
  tenantId: string,
  at: Date,
): [CampaignDrafted, CampaignScheduled] => {
  const draftedAt = at.toISOString();
  return [
    {
      type: 'CampaignDrafted',
      data: {
        campaignId,
        tenantId,
        name: `Spring sale ${campaignId.slice(0, 8)}`,
        subject: 'Everything is 20% off this week',
        fromAddress: 'news@example.com',
        fromName: 'MailPackr News',
        mjmlBody:
          '<mjml><mj-body><mj-section><mj-column><mj-text>Hello from MailPackr</mj-text></mj-column></mj-section></mj-body></mjml>',
        listIds: [randomUUID()],
        draftedAt,
      },
    },
    {
      type: 'CampaignScheduled',
      data: {
        campaignId,
        tenantId,
        sendAt: new Date(at.getTime() + 7 * 86_400_000).toISOString(),
        scheduledAt: new Date(at.getTime() + 60_000).toISOString(),
      },
    },
  ];
};

// ── One backend ─────────────────────────────────────────────────────────────────────────────────

const RAW_TABLE_SQL = `
  DROP TABLE IF EXISTS bench_raw;
  CREATE TABLE bench_raw (id bigserial PRIMARY KEY, stream_id text, data json, metadata json);
  DROP TABLE IF EXISTS bench_rebuild_copy;
  CREATE TABLE bench_rebuild_copy (LIKE mp_events);`;

const RAW_INSERT_ONE =
  'INSERT INTO bench_raw (stream_id, data, metadata) VALUES ($1, $2::json, $3::json)';
const RAW_INSERT_MANY = `INSERT INTO bench_raw (stream_id, data, metadata)
  SELECT $1, x.d::json, x.m::json FROM unnest($2::text[], $3::text[]) AS x(d, m)`;
const RAW_INSERT_STREAMS = `INSERT INTO bench_raw (stream_id, data, metadata)
  SELECT x.s, x.d::json, x.m::json FROM unnest($1::text[], $2::text[], $3::text[]) AS x(s, d, m)`;
const RAW_PAGE = `SELECT global_position, transaction_id::text AS transaction_id, stream_id, stream_revision,
    event_id, event_type, data, metadata, previous_hash, hash
  FROM mp_events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
  ORDER BY mp_events.transaction_id, mp_events.global_position LIMIT $3`;

class BackendBench {
  readonly results: Result[] = [];
  readonly info: Record<string, number | string | Record<string, string>> = {};
  private dataSource?: DataSource;

  constructor(
    readonly name: BackendName,
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
    private readonly store: PostgresEventStore,
    private readonly sizes: Sizes,
  ) {}

  static async open(
    name: BackendName,
    connectionString: string,
    sizes: Sizes,
  ): Promise<BackendBench> {
    const pool = createPool(connectionString, 10);
    try {
      const store = await PostgresEventStore.open(pool);
      await pool.query(RAW_TABLE_SQL);
      return new BackendBench(name, connectionString, pool, store, sizes);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  async serverInfo(): Promise<Record<string, string>> {
    const settings = [
      'server_version',
      'shared_buffers',
      'synchronous_commit',
      'fsync',
      'max_connections',
    ];
    const info: Record<string, string> = {};
    for (const setting of settings) {
      const { rows } = await this.pool.query<{ value: string }>(
        'SELECT setting AS value FROM pg_settings WHERE name = $1',
        [setting],
      );
      if (rows[0]) info[setting] = rows[0].value;
    }
    return info;
  }

  async close(): Promise<void> {
    await this.store.close().catch(() => undefined);
    if (this.dataSource?.isInitialized) await this.dataSource.destroy().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Empties the tables. No ANALYZE here: statistics that say "empty" make PostgreSQL cache
   * sequential-scan plans inside `mp_append` that stay for the session while the table grows
   * (see the report); TRUNCATE leaves the tables unanalysed, as on a fresh install.
   */
  private async reset(): Promise<void> {
    await this.pool.query(
      'TRUNCATE mp_events, mp_streams, bench_raw, bench_rebuild_copy RESTART IDENTITY',
    );
  }

  /** Scans of the log tables so far: a sequential scan per append shows up here. */
  async tableScans(): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ relname: string; seq_scan: string; idx_scan: string }>(
      `SELECT relname, seq_scan::text, coalesce(idx_scan, 0)::text AS idx_scan FROM pg_stat_user_tables
        WHERE relname IN ('mp_events', 'mp_streams') ORDER BY relname`,
    );
    return Object.fromEntries(
      rows.map((r) => [r.relname, `seq_scan ${r.seq_scan}, idx_scan ${r.idx_scan}`]),
    );
  }

  private async vacuum(): Promise<void> {
    await this.pool.query('VACUUM ANALYZE mp_events, mp_streams, bench_raw');
  }

  private record(
    result: Omit<Result, 'backend' | 'ratio' | 'ours' | 'raw'>,
    ours: Figure,
    raw: Figure,
  ): void {
    const row: Result = {
      backend: this.name,
      ...result,
      ours,
      raw,
      ratio: raw.eventsPerSec ? ours.eventsPerSec / raw.eventsPerSec : 0,
    };
    this.results.push(row);
    log(
      `[${this.name}] ${row.measurement}: ours ${fmtRate(ours.eventsPerSec)} ev/s, raw ${fmtRate(raw.eventsPerSec)} ev/s, ` +
        `ratio ${row.ratio.toFixed(2)} (rounds ours ${ours.roundsEventsPerSec.join('/')}, raw ${raw.roundsEventsPerSec.join('/')})`,
    );
  }

  /** Alternates ours and raw over the rounds; each side gets a fresh set of tables per round. */
  private async rounds(
    what: string,
    ours: (round: number) => Promise<{ events: number; ms: number }>,
    raw: (round: number) => Promise<{ events: number; ms: number }>,
    options: { resetEachRound: boolean } = { resetEachRound: true },
  ): Promise<{ ours: Figure; raw: Figure }> {
    const o = { events: [] as number[], ms: [] as number[] };
    const r = { events: [] as number[], ms: [] as number[] };
    for (let round = 0; round < this.sizes.rounds; round++) {
      const order: Array<['ours' | 'raw', typeof ours, typeof o]> =
        round % 2 === 0
          ? [
              ['ours', ours, o],
              ['raw', raw, r],
            ]
          : [
              ['raw', raw, r],
              ['ours', ours, o],
            ];
      for (const [side, run, into] of order) {
        if (options.resetEachRound) await this.reset();
        const { events, ms } = await run(round);
        into.events.push(events);
        into.ms.push(ms);
        log(
          `[${this.name}]   ${what} round ${round + 1}/${this.sizes.rounds} ${side}: ${fmtRate(rate(events, ms))} ev/s`,
        );
      }
    }
    return { ours: figure(o.events, o.ms), raw: figure(r.events, r.ms) };
  }

  // 1. Single-event appends ---------------------------------------------------------------------

  async singleAppends(writers: number): Promise<void> {
    const perStream = 10;
    const perWriter = Math.max(
      perStream,
      Math.ceil(this.sizes.singleEvents / (this.sizes.rounds * writers)),
    );
    const prepare = () =>
      Array.from({ length: writers }, (_, w) =>
        Array.from({ length: perWriter }, (_, i) => benchEvent(w * perWriter + i)),
      );

    const ours = async (prefix: string, events: EventToAppend[][], count = perWriter) =>
      timeWriters(writers, count, async (w, i) => {
        const n = i % perStream;
        const expectedRevision: ExpectedRevision = n === 0 ? 'no_stream' : BigInt(n - 1);
        await this.store.append(
          `bench_single-${prefix}.w${w}.s${Math.floor(i / perStream)}`,
          [events[w]![i]!],
          {
            expectedRevision,
          },
        );
      });
    const raw = async (prefix: string, events: EventToAppend[][], count = perWriter) =>
      timeWriters(writers, count, async (w, i) => {
        const event = events[w]![i]!;
        const now = new Date().toISOString();
        await this.pool.query(RAW_INSERT_ONE, [
          `bench_single-${prefix}.w${w}.s${Math.floor(i / perStream)}`,
          JSON.stringify(event.data ?? null),
          metadataText(event.metadata, now),
        ]);
      });

    const warm = prepare();
    await ours(`warm${tag()}`, warm, Math.min(perWriter, 50));
    await raw(`warm${tag()}`, warm, Math.min(perWriter, 50));

    const figures = await this.rounds(
      `single appends x${writers}`,
      async () => {
        const events = prepare();
        return { events: writers * perWriter, ms: await ours(tag(), events) };
      },
      async () => {
        const events = prepare();
        return { events: writers * perWriter, ms: await raw(tag(), events) };
      },
    );
    this.record(
      {
        measurement: `single appends, ${writers} writer${writers > 1 ? 's' : ''}`,
        key: `single_append_w${writers}`,
        writers,
        eventsPerCall: 1,
        raw_baseline:
          'one INSERT per row into bench_raw (bigserial, text, json, json), same concurrency',
      },
      figures.ours,
      figures.raw,
    );
  }

  // 2. Batched appends -----------------------------------------------------------------------------

  async batchedAppends(writers: number): Promise<void> {
    const size = this.sizes.batchSize;
    const perWriter = Math.max(
      1,
      Math.ceil(this.sizes.batchedEvents / (this.sizes.rounds * writers * size)),
    );
    const prepare = (count = perWriter) =>
      Array.from({ length: writers }, (_, w) =>
        Array.from({ length: count }, (_, b) =>
          Array.from({ length: size }, (_, i) => benchEvent((w * count + b) * size + i)),
        ),
      );

    const ours = async (prefix: string, batches: EventToAppend[][][]) =>
      timeWriters(writers, batches[0]!.length, async (w, b) => {
        await this.store.append(`bench_batch-${prefix}.w${w}.b${b}`, batches[w]![b]!, {
          expectedRevision: 'no_stream',
        });
      });
    const raw = async (prefix: string, batches: EventToAppend[][][]) =>
      timeWriters(writers, batches[0]!.length, async (w, b) => {
        const events = batches[w]![b]!;
        const now = new Date().toISOString();
        await this.pool.query(RAW_INSERT_MANY, [
          `bench_batch-${prefix}.w${w}.b${b}`,
          events.map((e) => JSON.stringify(e.data ?? null)),
          events.map((e) => metadataText(e.metadata, now)),
        ]);
      });

    await ours(`warm${tag()}`, prepare(Math.min(perWriter, 5)));
    await raw(`warm${tag()}`, prepare(Math.min(perWriter, 5)));

    const figures = await this.rounds(
      `batched appends x${writers}`,
      async () => ({ events: writers * perWriter * size, ms: await ours(tag(), prepare()) }),
      async () => ({ events: writers * perWriter * size, ms: await raw(tag(), prepare()) }),
    );
    this.record(
      {
        measurement: `${size}-event appends, ${writers} writer${writers > 1 ? 's' : ''}`,
        key: `batched_append_w${writers}`,
        writers,
        eventsPerCall: size,
        raw_baseline: `one multi-row INSERT ... SELECT FROM unnest(text[], text[]) of the same ${size} rows into bench_raw, same concurrency`,
      },
      figures.ours,
      figures.raw,
    );
  }

  // 2b. Bulk new streams (appendMany) ----------------------------------------------------------

  async bulkNewStreams(writers: number): Promise<void> {
    const size = this.sizes.bulkCallSize;
    const perWriter = Math.max(
      1,
      Math.ceil(this.sizes.bulkStreams / (this.sizes.rounds * writers * size)),
    );
    const prepare = (count = perWriter) =>
      Array.from({ length: writers }, (_, w) =>
        Array.from({ length: count }, (_, c) =>
          Array.from({ length: size }, (_, i) => benchEvent((w * count + c) * size + i)),
        ),
      );
    const streamId = (prefix: string, w: number, c: number, i: number) =>
      `bench_bulk-${prefix}.w${w}.c${c}.s${i}`;

    const ours = async (prefix: string, calls: EventToAppend[][][]) =>
      timeWriters(writers, calls[0]!.length, async (w, c) => {
        await this.store.appendMany(
          calls[w]![c]!.map((event, i) => ({
            streamId: streamId(prefix, w, c, i),
            events: [event],
            expectedRevision: 'no_stream' as const,
          })),
        );
      });
    const raw = async (prefix: string, calls: EventToAppend[][][]) =>
      timeWriters(writers, calls[0]!.length, async (w, c) => {
        const events = calls[w]![c]!;
        const now = new Date().toISOString();
        await this.pool.query(RAW_INSERT_STREAMS, [
          events.map((_, i) => streamId(prefix, w, c, i)),
          events.map((e) => JSON.stringify(e.data ?? null)),
          events.map((e) => metadataText(e.metadata, now)),
        ]);
      });

    await ours(`warm${tag()}`, prepare(Math.min(perWriter, 2)));
    await raw(`warm${tag()}`, prepare(Math.min(perWriter, 2)));

    const figures = await this.rounds(
      `bulk new streams x${writers}`,
      async () => ({ events: writers * perWriter * size, ms: await ours(tag(), prepare()) }),
      async () => ({ events: writers * perWriter * size, ms: await raw(tag(), prepare()) }),
    );
    this.record(
      {
        measurement: `bulk new streams (appendMany ${size} x 1 event), ${writers} writer${writers > 1 ? 's' : ''}`,
        key: `bulk_new_streams_w${writers}`,
        writers,
        eventsPerCall: size,
        raw_baseline: `one multi-row INSERT ... SELECT FROM unnest(text[], text[], text[]) of the same ${size} rows (one stream id each) into bench_raw, same concurrency`,
      },
      figures.ours,
      figures.raw,
    );
  }

  // 3. Catch-up read ---------------------------------------------------------------------------

  async catchUp(): Promise<void> {
    const total = this.sizes.catchUpEvents;
    const pageSize = this.sizes.catchUpPageSize;
    await this.reset();
    const loadBatch = 500;
    const loadWriters = 4;
    const calls = Math.ceil(total / loadBatch);
    const perWriter = Math.ceil(calls / loadWriters);
    log(`[${this.name}] loading ${fmtRate(total)} events for the catch-up read`);
    let appended = 0;
    const loadMs = await timeWriters(loadWriters, perWriter, async (w, b) => {
      const call = w * perWriter + b;
      const count = Math.min(loadBatch, total - call * loadBatch);
      if (count <= 0) return;
      const events = Array.from({ length: count }, (_, i) => benchEvent(call * loadBatch + i));
      await this.store.append(`bench_log-w${w}.b${b}`, events, { expectedRevision: 'no_stream' });
      appended += count;
    });
    this.info.catchUpLoadEventsPerSec = Math.round(rate(appended, loadMs));
    log(
      `[${this.name}] loaded ${fmtRate(appended)} events at ${fmtRate(rate(appended, loadMs))} ev/s (${loadBatch}-event appends, ${loadWriters} writers)`,
    );
    await this.vacuum();
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM mp_events',
    );
    const inLog = Number(rows[0]!.n);
    if (inLog !== total) throw new Error(`expected ${total} events in the log, found ${inLog}`);

    const ours = async () => {
      const controller = new AbortController();
      let received = 0;
      const started = performance.now();
      for await (const batch of this.store.subscribeBatches({
        batchSize: pageSize,
        signal: controller.signal,
      })) {
        received += batch.length;
        if (received >= total) break;
      }
      const ms = performance.now() - started;
      controller.abort();
      if (received !== total)
        throw new Error(`subscription delivered ${received} of ${total} events`);
      return { events: received, ms };
    };
    const raw = async () => {
      let received = 0;
      let last = { transaction_id: '0', global_position: '0' };
      const started = performance.now();
      for (;;) {
        const page = await this.pool.query<{ global_position: string; transaction_id: string }>(
          RAW_PAGE,
          [last.transaction_id, last.global_position, pageSize],
        );
        if (page.rows.length === 0) break;
        received += page.rows.length;
        last = page.rows[page.rows.length - 1]!;
        if (received >= total) break;
      }
      const ms = performance.now() - started;
      if (received !== total) throw new Error(`raw read returned ${received} of ${total} events`);
      return { events: received, ms };
    };
    await ours(); // warm the cache and the plans once, untimed
    await raw();
    const figures = await this.rounds('catch-up', ours, raw, { resetEachRound: false });
    this.record(
      {
        measurement: `catch-up subscription, pages of ${pageSize}`,
        key: 'catch_up',
        writers: 1,
        eventsPerCall: pageSize,
        raw_baseline: `SELECT all columns FROM mp_events in primary-key order (transaction_id, global_position), keyset pages of ${pageSize} (pg parses json)`,
      },
      figures.ours,
      figures.raw,
    );
  }

  // 4. Projection rebuild ----------------------------------------------------------------------

  async rebuild(): Promise<void> {
    const campaigns = this.sizes.rebuildCampaigns;
    const total = campaigns * 2;
    await this.reset();
    log(
      `[${this.name}] appending ${fmtRate(total)} campaign events on ${fmtRate(campaigns)} streams`,
    );
    const writers = 8;
    const perWriter = Math.ceil(campaigns / writers);
    const tenants = Array.from({ length: 20 }, () => randomUUID());
    const start = Date.UTC(2030, 0, 1);
    let appended = 0;
    const loadMs = await timeWriters(writers, perWriter, async (w, i) => {
      const n = w * perWriter + i;
      if (n >= campaigns) return;
      const campaignId = randomUUID();
      const tenantId = tenants[n % tenants.length]!;
      const events = campaignEvents(campaignId, tenantId, new Date(start + n * 1000));
      await this.store.append(
        toCampaignStreamId(campaignId),
        events.map((e) => ({
          eventId: randomUUID(),
          type: e.type,
          data: e.data,
          metadata: { tenantId, actor: 'system:bench', correlationId: randomUUID() },
        })),
        { expectedRevision: 'no_stream' },
      );
      appended += events.length;
    });
    this.info.rebuildLoadEventsPerSec = Math.round(rate(appended, loadMs));
    log(
      `[${this.name}] loaded ${fmtRate(appended)} campaign events at ${fmtRate(rate(appended, loadMs))} ev/s (2-event appends, ${writers} writers)`,
    );
    await this.vacuum();

    this.dataSource = await openReadModels(this.connectionString);
    const runner = new ProjectionRunner(this.store, this.pool, [campaignsProjection]);

    const ours = async () => {
      const started = performance.now();
      const result = await runner.rebuild('campaigns');
      const ms = performance.now() - started;
      if (result.events !== total)
        throw new Error(`rebuild applied ${result.events} of ${total} events`);
      return { events: result.events, ms };
    };
    const raw = async () => {
      await this.pool.query('TRUNCATE bench_rebuild_copy');
      const started = performance.now();
      const copied = await this.pool.query(
        `INSERT INTO bench_rebuild_copy SELECT * FROM mp_events
          WHERE category = $1 AND event_type = ANY($2::text[]) ORDER BY global_position`,
        [CAMPAIGN_STREAM_CATEGORY, [...CAMPAIGN_EVENT_TYPES]],
      );
      const ms = performance.now() - started;
      if (copied.rowCount !== total)
        throw new Error(`copied ${copied.rowCount} of ${total} events`);
      return { events: total, ms };
    };
    const figures = await this.rounds('rebuild', ours, raw, { resetEachRound: false });

    const { rows } = await this.pool.query<{ n: string; scheduled: string }>(
      `SELECT count(*)::text AS n, count(*) FILTER (WHERE status = 'SCHEDULED')::text AS scheduled FROM campaigns`,
    );
    if (Number(rows[0]!.n) !== campaigns || Number(rows[0]!.scheduled) !== campaigns) {
      throw new Error(
        `rebuilt campaigns: ${rows[0]!.n} rows, ${rows[0]!.scheduled} scheduled; expected ${campaigns}`,
      );
    }
    this.record(
      {
        measurement: 'campaigns projection rebuild',
        key: 'rebuild_campaigns',
        writers: 1,
        eventsPerCall: 5000,
        raw_baseline:
          'INSERT INTO copy table SELECT * FROM mp_events WHERE category/event_type match (same rows, server side)',
      },
      figures.ours,
      figures.raw,
    );
  }
}

// ── Backends ────────────────────────────────────────────────────────────────────────────────────

interface Database {
  connectionString: string;
  dispose(): Promise<void>;
}

const startDatabase = async (
  name: BackendName,
  databaseUrl: string | undefined,
): Promise<Database> => {
  if (name === 'pglite') {
    const embedded = await EmbeddedPostgres.start();
    return { connectionString: embedded.connectionString, dispose: () => embedded.stop() };
  }
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

const runBackend = async (
  name: BackendName,
  databaseUrl: string | undefined,
  sizes: Sizes,
): Promise<BackendReport> => {
  const started = performance.now();
  const report: BackendReport = { server: {}, results: [], info: {}, durationSec: 0 };
  log(`\n[${name}] starting`);
  const database = await startDatabase(name, databaseUrl);
  const dispose = once(() => database.dispose());
  pendingCleanups.add(dispose);
  let bench: BackendBench | undefined;
  const closeBench = once(async () => bench?.close());
  try {
    bench = await BackendBench.open(name, database.connectionString, sizes);
    pendingCleanups.add(closeBench);
    report.server = await bench.serverInfo();
    await bench.singleAppends(1);
    await bench.singleAppends(8);
    await bench.batchedAppends(1);
    await bench.batchedAppends(4);
    await bench.bulkNewStreams(1);
    await bench.bulkNewStreams(4);
    await bench.catchUp();
    await bench.rebuild();
    bench.info.tableScans = await bench.tableScans();
  } catch (error) {
    report.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`[${name}] FAILED: ${report.error}`);
  } finally {
    if (bench) {
      report.results = bench.results;
      report.info = bench.info;
      await closeBench();
      pendingCleanups.delete(closeBench);
    }
    await dispose();
    pendingCleanups.delete(dispose);
  }
  report.durationSec = Math.round((performance.now() - started) / 100) / 10;
  log(`[${name}] done in ${report.durationSec}s`);
  return report;
};

// ── Targets and printing ───────────────────────────────────────────────────────────────────────

const checkTargets = (backend: BackendName, results: readonly Result[]): TargetCheck[] => {
  const checks: TargetCheck[] = [];
  for (const r of results) {
    if (backend === 'postgres' && r.key.startsWith('batched_append')) {
      checks.push({
        backend,
        measurement: r.measurement,
        target: 'ours >= 0.8x raw',
        value: r.ratio,
        met: r.ratio >= 0.8,
      });
      checks.push({
        backend,
        measurement: r.measurement,
        target: 'ours >= 30,000 events/s',
        value: r.ours.eventsPerSec,
        met: r.ours.eventsPerSec >= 30_000,
      });
    }
    if (backend === 'postgres' && r.key === 'bulk_new_streams_w1') {
      checks.push({
        backend,
        measurement: r.measurement,
        target: 'ours >= 40,000 streams/s',
        value: r.ours.eventsPerSec,
        met: r.ours.eventsPerSec >= 40_000,
      });
    }
    if (backend === 'postgres' && r.key === 'catch_up') {
      checks.push({
        backend,
        measurement: r.measurement,
        target: 'ours >= 100,000 events/s',
        value: r.ours.eventsPerSec,
        met: r.ours.eventsPerSec >= 100_000,
      });
    }
    if (r.key === 'rebuild_campaigns') {
      checks.push({
        backend,
        measurement: r.measurement,
        target: 'ours >= 20,000 events/s',
        value: r.ours.eventsPerSec,
        met: r.ours.eventsPerSec >= 20_000,
      });
    }
  }
  return checks;
};

// ── Main ────────────────────────────────────────────────────────────────────────────────────────

const main = async (): Promise<void> => {
  let options: ReturnType<typeof parseCommandLine>;
  try {
    options = parseCommandLine();
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const startedAt = new Date();
  const started = performance.now();
  log(
    `event-store benchmark: backends ${options.backends.join(', ')}${options.quick ? ' (quick)' : ''}; ` +
      `sizes ${JSON.stringify(options.sizes)}`,
  );
  if (options.backendOption === 'all' && !options.databaseUrl)
    log('PostgreSQL skipped: DATABASE_URL is not set');

  const sample = benchEvent(0);
  const payloadBytes = {
    data: JSON.stringify(sample.data).length,
    metadata: metadataText(sample.metadata, new Date().toISOString()).length,
  };

  const backends: Partial<Record<BackendName, BackendReport>> = {};
  for (const name of options.backends)
    backends[name] = await runBackend(name, options.databaseUrl, options.sizes);

  const results = Object.values(backends).flatMap((b) => b.results);
  const targets = (Object.entries(backends) as Array<[BackendName, BackendReport]>).flatMap(
    ([name, b]) => checkTargets(name, b.results),
  );
  const errors = (Object.entries(backends) as Array<[BackendName, BackendReport]>)
    .filter(([, b]) => b.error)
    .map(([name, b]) => ({ backend: name, error: b.error! }));

  const out: string[] = [];
  out.push(
    '',
    `Event store benchmark (${options.quick ? 'quick' : 'full'}), ${startedAt.toISOString()}`,
  );
  out.push(
    `payload: data ${payloadBytes.data} B + metadata ${payloadBytes.metadata} B per event; ` +
      `median of ${options.sizes.rounds} round${options.sizes.rounds > 1 ? 's' : ''}, ours and raw alternating`,
    '',
  );
  out.push(
    table(
      ['backend', 'measurement', 'events/round', 'ours ev/s', 'raw ev/s', 'ours/raw'],
      results.map((r) => [
        r.backend,
        r.measurement,
        fmtRate(r.ours.eventsPerRound),
        fmtRate(r.ours.eventsPerSec),
        fmtRate(r.raw.eventsPerSec),
        `${r.ratio.toFixed(2)}x`,
      ]),
      new Set([2, 3, 4, 5]),
    ),
  );
  if (!options.backends.includes('postgres')) {
    out.push('', 'PostgreSQL not measured (set DATABASE_URL): its targets are not checked.');
  }
  if (targets.length > 0) {
    out.push('', 'Targets:');
    out.push(
      table(
        ['backend', 'measurement', 'target', 'value', 'result'],
        targets.map((t) => [
          t.backend,
          t.measurement,
          t.target,
          t.target.includes('raw') ? `${t.value.toFixed(2)}x` : fmtRate(t.value),
          t.met ? 'met' : 'MISSED',
        ]),
        new Set([3]),
      ),
    );
  }
  for (const e of errors) out.push('', `ERROR on ${e.backend}: ${e.error}`);

  const durationSec = Math.round((performance.now() - started) / 100) / 10;
  const report = {
    benchmark: 'event-store',
    startedAt: startedAt.toISOString(),
    durationSec,
    mode: options.quick ? 'quick' : 'full',
    environment: {
      ...machine(),
    },
    sizes: options.sizes,
    payloadBytes,
    backends,
    results,
    targets,
    errors,
  };
  const json = JSON.stringify(report, null, 2);

  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `event-store-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
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
  log('\ninterrupted: cleaning up');
  void (async () => {
    for (const cleanup of [...pendingCleanups].reverse()) await cleanup().catch(() => undefined);
  })().finally(() => process.exit(130));
});

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
