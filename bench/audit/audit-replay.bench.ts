/**
 * `audit replay` benchmark: how fast the auditor's replay rebuilds every read model from the log
 * into a scratch schema (and then compares it with the live read models), beside the raw limit
 * measured in the same run on the same database: reading the same events with plain SQL pages
 * (what the replay cannot go faster than, since it reads them all).
 *
 *   npm run bench:audit:replay -- [--events <n>] [--quick] [--backend postgres|pglite] [--rounds <n>]
 *
 * A fresh database (PostgreSQL: `mp_bench_<random>` created from DATABASE_URL and dropped at the
 * end, the default when DATABASE_URL is set; PGlite: a fresh data folder) gets a realistic log of
 * about `--events` events (default 100000; 8000 with --quick), untimed: one tenant, one list, a
 * CSV import of a quarter as many recipients (encrypted personal fields, `RecipientAdded`), a
 * campaign launched to them (`MessageQueued` each) and every message claimed and sent
 * (`MessageClaimed`, `MessageSent`). The live projections then catch up from zero (timed once),
 * and each round measures, alternating the order: the raw SQL read, the adapter's `readAll`, and
 * the whole `audit replay` (replay phase and total with the comparison). Progress goes to stderr;
 * a table and one JSON object go to stdout, and the JSON to
 * `bench/results/audit-replay-<timestamp>.json`. A script, not a test: it asserts only that the
 * replay matched.
 */
import 'reflect-metadata';

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { type MessageClaimed, type MessageSent, toMessageStreamId } from '#domain';
import { AuditReplay, type MailpackrRuntime, REPLAY_BATCH_SIZE } from '#platform';

import { log, machine, median, positiveInt, repoRoot, table } from '../common/bench-cli.js';
import { draftCampaign, seedAudience } from '../common/seed.js';
import { startBenchRuntime } from '../common/bench-runtime.js';

const USAGE = `Usage: npm run bench:audit:replay -- [options]
  --events <n>     events in the log, about (default 100000; 8000 with --quick)
  --quick          a small smoke run
  --backend <b>    postgres | pglite (default postgres when DATABASE_URL is set, else pglite)
  --rounds <n>     rounds per measurement, alternating order (default 3; 1 with --quick)
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string' },
      rounds: { type: 'string' },
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
  if (backend !== 'pglite' && backend !== 'postgres') {
    throw new Error(`--backend must be postgres or pglite, got ${backend}`);
  }
  if (backend === 'postgres' && !databaseUrl) {
    throw new Error('--backend postgres needs DATABASE_URL (a scratch database is made from it)');
  }
  return {
    backend,
    databaseUrl,
    events: positiveInt(values.events, 'events') ?? (values.quick ? 8_000 : 100_000),
    rounds: positiveInt(values.rounds, 'rounds') ?? (values.quick ? 1 : 3),
  } as const;
};

type Options = ReturnType<typeof parseCommandLine>;

const rate = (events: number, ms: number): number =>
  ms > 0 ? Math.round((events * 1000) / ms) : 0;
const fmt = (n: number): string => n.toLocaleString('en-US');

/** Plain SQL: the log in its order, page by page, every column the adapter reads. */
const RAW_PAGE = `SELECT global_position, transaction_id::text AS transaction_id, stream_id, stream_revision,
    event_id, event_type, data, metadata, previous_hash, hash
  FROM mp_events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
  ORDER BY mp_events.transaction_id, mp_events.global_position LIMIT $3`;

const APPEND_CHUNK = 1000;

/** The realistic log: import, launch, and every message claimed and sent. */
const buildHistory = async (runtime: MailpackrRuntime, recipients: number): Promise<void> => {
  const { tenantId } = await runtime.tenants.createTenant({
    name: 'Bench Audit',
    plan: 'enterprise',
    actor: 'bench',
  });
  log(`  importing ${fmt(recipients)} recipients`);
  const { context, listId } = await seedAudience(runtime, tenantId, {
    header: 'email,first_name',
    row: (i) => `r${i}@bench.example,Bench${i}`,
    count: recipients,
  });
  const campaignId = await draftCampaign(runtime, context, listId, {
    name: 'Bench',
    subject: 'Bench',
  });
  await runtime.projections.catchUp();
  log('  launching the campaign');
  await runtime.campaigns.launch(context, { campaignId, now: new Date() });
  await runtime.projections.catchUp(['messages']);
  log('  claiming and sending every message');
  const { rows } = await runtime.pool.query<{ message_id: string }>(
    'SELECT message_id FROM messages WHERE campaign_id = $1',
    [campaignId],
  );
  for (let done = 0; done < rows.length; done += APPEND_CHUNK) {
    const at = new Date();
    await runtime.store.appendMany(
      rows.slice(done, done + APPEND_CHUNK).map(({ message_id: messageId }) => {
        const ids = { messageId, campaignId, tenantId };
        const claimed: MessageClaimed = {
          type: 'MessageClaimed',
          data: {
            ...ids,
            workerId: 'bench',
            attempt: 1,
            claimedAt: at.toISOString(),
            leaseUntil: new Date(at.getTime() + 60_000).toISOString(),
            expiredClaim: null,
          },
        };
        const sent: MessageSent = {
          type: 'MessageSent',
          data: { ...ids, smtpReply: '250 2.0.0 OK', sentAt: at.toISOString() },
        };
        return {
          streamId: toMessageStreamId(messageId),
          events: [claimed, sent].map((e) => ({
            eventId: randomUUID(),
            type: e.type,
            data: e.data,
            metadata: { tenantId, actor: 'bench' },
          })),
          expectedRevision: 0n,
        };
      }),
    );
  }
};

interface Figure {
  eventsPerSec: number;
  ms: number;
  rounds: number[];
}

const figure = (events: number, ms: readonly number[]): Figure => ({
  eventsPerSec: rate(events, median(ms)),
  ms: Math.round(median(ms)),
  rounds: ms.map((m) => rate(events, m)),
});

const run = async (options: Options) => {
  const bench = await startBenchRuntime(options, 'audit');
  const { runtime } = bench;
  try {
    log(`[${options.backend}] building a log of about ${fmt(options.events)} events (untimed)`);
    await buildHistory(runtime, Math.max(1, Math.round(options.events / 4)));
    const [{ n }] = (
      await runtime.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM mp_events')
    ).rows as [{ n: string }];
    const events = Number(n);
    await runtime.pool.query('VACUUM ANALYZE mp_events');

    // The live read models from zero, as the worker builds them (once; they are then compared).
    await runtime.pool.query(
      'UPDATE mp_projection_checkpoints SET position = NULL, events_applied = 0',
    );
    for (const p of runtime.projections.projections) {
      for (const t of p.tables) await runtime.pool.query(`TRUNCATE "${t}"`);
    }
    log(`[${options.backend}] live projections catching up from zero over ${fmt(events)} events`);
    const started = performance.now();
    await runtime.projections.catchUp();
    const liveCatchUp = performance.now() - started;

    const audit = new AuditReplay({
      store: runtime.store,
      pool: runtime.pool,
      runner: runtime.projections,
    });
    const pool = runtime.pool;
    const rawRead = async () => {
      const t0 = performance.now();
      let from = { commit: '0', prepare: '0' };
      let read = 0;
      for (;;) {
        const { rows } = await pool.query<{ transaction_id: string; global_position: string }>(
          RAW_PAGE,
          [from.commit, from.prepare, REPLAY_BATCH_SIZE],
        );
        if (rows.length === 0) break;
        read += rows.length;
        const last = rows[rows.length - 1]!;
        from = { commit: last.transaction_id, prepare: String(last.global_position) };
      }
      if (read !== events) throw new Error(`raw read ${read} of ${events}`);
      return performance.now() - t0;
    };
    const adapterRead = async () => {
      const t0 = performance.now();
      let from;
      let read = 0;
      for (;;) {
        const page = await runtime.store.readAll({ from, maxCount: REPLAY_BATCH_SIZE });
        if (page.length === 0) break;
        read += page.length;
        from = page[page.length - 1]!.position;
      }
      if (read !== events) throw new Error(`readAll read ${read} of ${events}`);
      return performance.now() - t0;
    };
    const raw: number[] = [];
    const adapter: number[] = [];
    const replay: number[] = [];
    const total: number[] = [];
    let tables = 0;
    let rows = 0;
    for (let round = 0; round < options.rounds; round++) {
      const auditRound = async () => {
        const report = await audit.run();
        if (!report.match || report.events !== events) {
          throw new Error(`the replay did not match (${report.events} of ${events} events)`);
        }
        replay.push(report.ms.replay);
        total.push(report.ms.total);
        tables = report.tables.length;
        rows = report.tables.reduce((sum, t) => sum + t.replay.rows, 0);
        log(
          `  round ${round + 1}: replay ${fmt(rate(events, report.ms.replay))} ev/s, ` +
            `with the comparison ${fmt(rate(events, report.ms.total))} ev/s`,
        );
      };
      const steps = [
        async () => raw.push(await rawRead()),
        async () => adapter.push(await adapterRead()),
        auditRound,
      ];
      for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
    }
    return {
      events,
      readModelTables: tables,
      readModelRows: rows,
      liveCatchUp: { eventsPerSec: rate(events, liveCatchUp), ms: Math.round(liveCatchUp) },
      rawRead: figure(events, raw),
      adapterRead: figure(events, adapter),
      auditReplay: figure(events, replay),
      auditReplayWithComparison: figure(events, total),
    };
  } finally {
    await bench.close();
  }
};

const main = async () => {
  const options = parseCommandLine();
  const startedAt = new Date();
  const result = await run(options);
  const ratio = (f: Figure) => `${(f.eventsPerSec / result.rawRead.eventsPerSec).toFixed(2)}x`;
  const lines = [
    `audit replay on ${options.backend}: ${fmt(result.events)} events, ${result.readModelTables} read-model tables, ` +
      `${fmt(result.readModelRows)} rows; pages of ${REPLAY_BATCH_SIZE}; median of ${options.rounds} rounds`,
    '',
    table(
      ['measurement', 'events/s', 'ms', 'vs raw read'],
      [
        ['raw SQL read of the log (limit)', result.rawRead, '1.00x'] as const,
        ['store.readAll (adapter read)', result.adapterRead, ratio(result.adapterRead)] as const,
        [
          'audit replay (rebuild into scratch)',
          result.auditReplay,
          ratio(result.auditReplay),
        ] as const,
        [
          'audit replay incl. comparison',
          result.auditReplayWithComparison,
          ratio(result.auditReplayWithComparison),
        ] as const,
      ]
        .map(([name, f, r]) => [name, fmt(f.eventsPerSec), fmt(f.ms), r])
        .concat([
          [
            'live projections from zero (catchUp, once)',
            fmt(result.liveCatchUp.eventsPerSec),
            fmt(result.liveCatchUp.ms),
            `${(result.liveCatchUp.eventsPerSec / result.rawRead.eventsPerSec).toFixed(2)}x`,
          ],
        ]),
      new Set([1, 2, 3]),
    ),
  ];
  const report = {
    benchmark: 'audit-replay',
    startedAt: startedAt.toISOString(),
    backend: options.backend,
    rounds: options.rounds,
    environment: { ...machine(), loadAverage: os.loadavg() },
    ...result,
  };
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `audit-replay-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(report, null, 2);
  writeFileSync(file, `${json}\n`);
  process.stdout.write(`${lines.join('\n')}\n\n${json}\n`);
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
