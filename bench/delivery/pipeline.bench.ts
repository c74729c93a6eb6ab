/**
 * End-to-end delivery benchmark (issue 4): one campaign to N recipients (default 100k) sent through
 * the whole pipeline (events, projections, SMTP) to a local smtp-server sink, beside a raw
 * nodemailer send of as many messages of the same size to the same sink, measured in the same run.
 *
 *   npm run bench:delivery:pipeline -- [--recipients <n>] [--quick] [--store postgres|pglite]
 *       [--connections <n>] [--batch <n>] [--max-messages <n>] [--html-kb <n>] [--files]
 *       [--send-rate <n>] [--domain-concurrency <n>] [--profile <dir>]
 *
 * Set-up (untimed): a fresh database (PostgreSQL: `mp_bench_<random>` made from DATABASE_URL and
 * dropped at the end, the default; `--store pglite`: a fresh embedded data folder), one tenant, one
 * list, N recipients by CSV import (the bulk path), a campaign with its own MJML newsletter (about
 * `--html-kb` KiB of HTML with merge fields), then the launch (timed and reported, not part of the
 * delivery figure) and the messages projection catching up with it.
 *
 * Delivery (timed): the projection loops are started (as the worker process runs them) and
 * `runtime.delivery.runOnce()` (`{ limit: --batch }` with that option) is called back to back, as
 * the worker calls it, until a run finds nothing due. Each run does its own read-your-writes
 * catch-up (messages, campaigns, suppressions), the due query, then claims (`ClaimMessage`, one
 * append), renders, sends over pooled SMTP and records (`RecordMessageSent`, one append) each
 * message on `connections * 2` lanes. The SMTP side is the
 * capture server (`SmtpCaptureServer`, the smtp-server package) in a child process, reached as
 * `SMTP_URL`. By default the sink counts what it receives and keeps nothing, as Postfix's
 * `smtp-sink` does in MTA benchmarks: it stands for a remote server, whose disk is not ours, and
 * writing a file per message costs the sink about 0.4 ms of CPU on the same two cores. `--files`
 * makes it write each message as an `.eml` file, as the embedded capture server does.
 *
 * Raw (timed, same run, same sink): plain nodemailer with the same pool settings sends N messages
 * of the same rendered content with the same kind of headers (prepared beforehand), at most 2000
 * handed to the pool at a time.
 *
 * The tenant rate limit (`MAILPACKR_SEND_RATE`, default 100 messages/s, burst 200) would cap the
 * figure at 100 messages/s: the benchmark sets it to `--send-rate` (default 100000, burst as much)
 * and says so. The per-domain concurrency keeps its default (5) unless `--domain-concurrency`;
 * recipients are spread over 4 domains.
 *
 * Checks: the sink received exactly N messages with N distinct Message-IDs during the pipeline
 * phase (and N during raw), the `campaign_delivery` read model counts N sent, and the log holds N
 * `MessageSent` events. Also reported: where the time goes (instrumented wrappers around the
 * executor, store, read models, renderer, transport and projections: cumulative ms and ms per
 * message), CPU seconds of this process, of PostgreSQL and of the sink, PostgreSQL activity
 * sampled from `pg_stat_activity` every 50 ms (what the busy backends run or wait for),
 * `mp_append` time (`track_functions = pl` on the scratch database), and peak RSS. `--profile
 * <dir>` writes a V8 CPU profile of the delivery phase and prints its top self-time functions.
 *
 * Progress goes to stderr; a summary and one JSON object go to stdout, and the JSON to
 * `bench/results/pipeline-<timestamp>.json`. A script, not a test.
 */
import 'reflect-metadata';

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import nodemailer from 'nodemailer';
import pg from 'pg';

import {
  DEFAULT_DELIVERY_BATCH,
  MAX_DELIVERY_BATCH,
  DomainThrottle,
  MailTransport,
  MailpackrRuntime,
  SendRateLimiter,
  buildMessageHeaders,
  loadConfig,
  smtpPoolOptions,
} from '#platform';
import { ALL_PROJECTIONS, ProjectionRunner } from '#projections';

import {
  fmt,
  loadAverage,
  log,
  machine,
  positiveInt,
  repoRoot,
  round,
} from '../common/bench-cli.js';
import { draftCampaign, seedAudience } from '../common/seed.js';
import { postgresCpuSeconds, procCpuSeconds } from '../common/process-cpu.js';
import { drainCampaign } from './drain-campaign.js';
import { type ScratchDatabase, createScratchDatabase } from '../common/scratch-database.js';
import { startSink } from '../common/smtp-sink.js';

// ── Command line ────────────────────────────────────────────────────────────────────────────────

const DEFAULT_RECIPIENTS = 100_000;
const QUICK_RECIPIENTS = 5_000;
const DOMAINS = ['gmail.example', 'outlook.example', 'yahoo.example', 'corp.example'];
const FROM_NAME = 'Acme News';
const FROM_ADDRESS = 'news@acme.example';
const SUBJECT = 'Spring news';
const RAW_IN_FLIGHT = 2000;
/** The read models a delivery run waits for (`DELIVERY_READ_MODELS` in delivery-worker.ts). */
const DELIVERY_PROJECTIONS = ['messages', 'campaigns', 'suppressions', 'tenants'];

const USAGE = `Usage: npm run bench:delivery:pipeline -- [options]
  --recipients <n>          campaign size (default ${fmt(DEFAULT_RECIPIENTS)}; ${fmt(QUICK_RECIPIENTS)} with --quick)
  --quick                   a smoke run of ${fmt(QUICK_RECIPIENTS)} recipients
  --store postgres|pglite   PostgreSQL from DATABASE_URL (default; a scratch database is made) or embedded PGlite
  --connections <n>         pooled SMTP connections, pipeline and raw alike (default 5; lanes = 2x)
  --batch <n>               a fixed number of messages per delivery run (default: none, runs size
                            themselves as in the worker: ${DEFAULT_DELIVERY_BATCH} first, up to ${MAX_DELIVERY_BATCH}, about a second each)
  --max-messages <n>        messages per SMTP connection before it is replaced (default 100)
  --html-kb <n>             size of the newsletter's HTML in KiB (default 20)
  --send-rate <n>           tenant messages/s (and burst) for the run (default 100000; the product default is 100)
  --domain-concurrency <n>  concurrent sends per recipient domain (default 5, the product default)
  --files                   the sink writes each message as an .eml file (default: it counts them)
  --processes <n>           sending processes (default 1): this one, with the projection loops, and
                            n - 1 more on the same database that only send, as delivery-only workers
  --profile <dir>           write a V8 CPU profile of the delivery phase into <dir> and summarise it
  --projections all|delivery  live projection loops during delivery: all of them, as the worker runs
                            them (default), or (an experiment, not the product) only the ones delivery
                            reads: ${DELIVERY_PROJECTIONS.join(', ')}
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      recipients: { type: 'string' },
      quick: { type: 'boolean', default: false },
      store: { type: 'string', default: 'postgres' },
      connections: { type: 'string' },
      batch: { type: 'string' },
      'max-messages': { type: 'string' },
      'html-kb': { type: 'string' },
      'send-rate': { type: 'string' },
      'domain-concurrency': { type: 'string' },
      files: { type: 'boolean', default: false },
      processes: { type: 'string' },
      profile: { type: 'string' },
      projections: { type: 'string', default: 'all' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const store = values.store;
  if (store !== 'postgres' && store !== 'pglite') {
    throw new Error(`--store must be postgres or pglite, got ${store}`);
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (store === 'postgres' && !databaseUrl) {
    throw new Error(
      '--store postgres (the default) needs DATABASE_URL (a scratch database is made from it); or use --store pglite',
    );
  }
  const projections = values.projections;
  if (projections !== 'all' && projections !== 'delivery') {
    throw new Error(`--projections must be all or delivery, got ${projections}`);
  }
  const sendRate = positiveInt(values['send-rate'], 'send-rate') ?? 100_000;
  if (store === 'pglite' && values.processes !== undefined && values.processes !== '1') {
    throw new Error('--processes above 1 needs --store postgres: PGlite lives in one process');
  }
  return {
    quick: values.quick,
    store,
    databaseUrl,
    recipients:
      positiveInt(values.recipients, 'recipients') ??
      (values.quick ? QUICK_RECIPIENTS : DEFAULT_RECIPIENTS),
    connections: positiveInt(values.connections, 'connections') ?? 5,
    batch: positiveInt(values.batch, 'batch'),
    maxMessages: positiveInt(values['max-messages'], 'max-messages') ?? 100,
    htmlKb: positiveInt(values['html-kb'], 'html-kb') ?? 20,
    sendRate: Math.min(sendRate, 100_000),
    domainConcurrency: positiveInt(values['domain-concurrency'], 'domain-concurrency') ?? 5,
    discard: !values.files,
    processes: positiveInt(values.processes, 'processes') ?? 1,
    profile: values.profile,
    projections,
  } as const;
};

type Options = ReturnType<typeof parseCommandLine>;

const batchLabel = (batch: number | undefined): string =>
  batch === undefined
    ? `runs of ${DEFAULT_DELIVERY_BATCH}-${MAX_DELIVERY_BATCH} (adaptive)`
    : `batch ${batch}`;

// ── Measuring helpers ───────────────────────────────────────────────────────────────────────────

/** Peak RSS (and heap) sampled every 50 ms until `stop`. */
const memorySampler = () => {
  let rss = process.memoryUsage.rss();
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage.rss());
    heap = Math.max(heap, process.memoryUsage().heapUsed);
  }, 50);
  return () => {
    clearInterval(timer);
    rss = Math.max(rss, process.memoryUsage.rss());
    return { peakRssMb: Math.round(rss / 1048576), peakHeapMb: Math.round(heap / 1048576) };
  };
};

/**
 * CPU seconds of the PostgreSQL backends serving one database, plus the server's own background
 * processes (WAL writer, checkpointer…: shared with any other database, but mostly this run's).
 * Backends of other databases (other work on the machine) are left out.
 */
const databaseCpu = async (pool: pg.Pool, database: string) => {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = $1 OR (datname IS NULL AND backend_type <> 'client backend')`,
    [database],
  );
  const seen = new Map(rows.map((r) => [r.pid, procCpuSeconds(r.pid)]));
  return {
    /** CPU seconds since `databaseCpu` of the processes there then and now (and all of new ones). */
    async since(): Promise<number> {
      const { rows: now } = await pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = $1 OR (datname IS NULL AND backend_type <> 'client backend')`,
        [database],
      );
      let total = 0;
      for (const { pid } of now) total += procCpuSeconds(pid) - (seen.get(pid) ?? 0);
      return total;
    },
  };
};

interface Timer {
  calls: number;
  ms: number;
  /** Events (projection batches) or rows, where that means something. */
  items: number;
}

/** Cumulative time per label of wrapped calls (concurrent calls each count their own time). */
class Timers {
  readonly #timers = new Map<string, Timer>();
  readonly #counters = new Map<string, number>();
  enabled = false;

  add(label: string, ms: number, items = 0): void {
    if (!this.enabled) return;
    const t = this.#timers.get(label) ?? { calls: 0, ms: 0, items: 0 };
    t.calls++;
    t.ms += ms;
    t.items += items;
    this.#timers.set(label, t);
  }

  count(label: string, n = 1): void {
    if (!this.enabled) return;
    this.#counters.set(label, (this.#counters.get(label) ?? 0) + n);
  }

  get(label: string): Timer {
    return this.#timers.get(label) ?? { calls: 0, ms: 0, items: 0 };
  }

  counter(label: string): number {
    return this.#counters.get(label) ?? 0;
  }

  entries(): Array<[string, Timer]> {
    return [...this.#timers.entries()].sort((a, b) => b[1].ms - a[1].ms);
  }

  counters(): Record<string, number> {
    return Object.fromEntries(this.#counters);
  }
}

/** Replaces `target[key]` (an async method) with a timed one; `label` names each call. */
const wrapAsync = <T extends object>(
  timers: Timers,
  target: T,
  key: string,
  label: (...args: never[]) => string,
  items?: (...args: never[]) => number,
): void => {
  const original = (target as Record<string, unknown>)[key] as (...args: unknown[]) => unknown;
  if (typeof original !== 'function') throw new Error(`cannot wrap ${key}: not a function`);
  (target as Record<string, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const name = (label as (...a: unknown[]) => string)(...args);
    const result = original.apply(this, args);
    const done = () =>
      timers.add(
        name,
        performance.now() - started,
        items ? (items as (...a: unknown[]) => number)(...args) : 0,
      );
    if (result instanceof Promise) {
      return result.finally(done);
    }
    done();
    return result;
  };
};

const categoryOf = (streamId: string) => streamId.slice(0, Math.max(0, streamId.indexOf('-')));

/** What a PostgreSQL backend runs, by the start of its query text. */
const queryLabel = (sql: string): string => {
  const q = sql.replace(/\s+/g, ' ').trim();
  if (q.includes('mp_append_many')) return 'mp_append_many';
  if (q.includes('mp_append(')) return 'mp_append (claim / outcome)';
  if (q.includes('mp_read_all')) return 'mp_read_all (subscriptions, waitFor)';
  if (q.includes('pg_snapshot_xmin')) return 'headPosition';
  if (q.includes('FROM mp_events ORDER BY mp_events.transaction_id DESC'))
    return 'lastCommittedPosition';
  if (q.includes('FROM mp_events WHERE stream_id = $1')) return 'readStream';
  if (q.includes('FROM mp_events WHERE stream_id = ANY')) return 'readStreams';
  if (q.includes('FROM messages m')) return 'due query';
  if (/INSERT INTO "?messages"?/.test(q) || /FROM "?messages"? WHERE message_id = ANY/.test(q))
    return 'messages projection';
  if (q.includes('campaign_delivery')) return 'campaign_delivery projection';
  if (q.includes('mp_projection_checkpoints')) return 'projection checkpoints';
  if (q.includes('pg_notify')) return 'pg_notify';
  if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(q)) return q.slice(0, 8).toUpperCase();
  return `other: ${q.slice(0, 50)}`;
};

/** Samples `pg_stat_activity` of one database every `everyMs` while the work runs. */
const pgActivitySampler = async (connectionString: string, database: string, everyMs = 50) => {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const byQuery = new Map<string, number>();
  const byWait = new Map<string, number>();
  let ticks = 0;
  let activeSamples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const { rows } = await client.query<{ query: string; wait: string | null }>(
        `SELECT query, CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS wait
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'`,
        [database],
      );
      ticks++;
      for (const row of rows) {
        activeSamples++;
        const label = queryLabel(row.query);
        byQuery.set(label, (byQuery.get(label) ?? 0) + 1);
        const wait = row.wait ?? 'CPU (no wait event)';
        byWait.set(wait, (byWait.get(wait) ?? 0) + 1);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, everyMs - (Date.now() - started))),
      );
    }
  })();
  return async () => {
    running = false;
    await loop.catch(() => undefined);
    await client.end();
    const sorted = (m: Map<string, number>) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([label, samples]) => ({
          label,
          samples,
          avgActiveBackends: round(samples / Math.max(1, ticks), 2),
          share: round(samples / Math.max(1, activeSamples), 3),
        }));
    return {
      samples: ticks,
      everyMs,
      avgActiveBackends: round(activeSamples / Math.max(1, ticks), 2),
      byQuery: sorted(byQuery),
      byWait: sorted(byWait),
    };
  };
};

/** A V8 CPU profile of this process from now until `stop`. */
interface SenderReport {
  totals: Record<string, number>;
  cpuSeconds: number;
  peakRssMb: number;
  problems: string[];
}

/**
 * `--processes <n>`: the n - 1 sending processes besides this one (`pipeline-sender.process.ts`),
 * started and ready (runtime up, SMTP pool open) before the clock starts; `go` starts them all,
 * `done` waits for every one's report.
 */
const startSenders = async (count: number, env: Record<string, string>, campaignId: string) => {
  const children = Array.from({ length: count }, () =>
    fork(
      fileURLToPath(new URL('./pipeline-sender.process.js', import.meta.url)),
      [campaignId],
      // The environment (with the run's KEK) in the child's environment, not on its command line.
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: [],
        env: { ...process.env, MAILPACKR_BENCH_SENDER_ENV: JSON.stringify(env) },
      },
    ),
  );
  const next = (child: ChildProcess) =>
    new Promise<{ type: string } & Partial<SenderReport>>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`a sending process exited (${code}) before reporting`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as { type: string } & Partial<SenderReport>);
      });
    });
  await Promise.all(children.map(next));
  let reports: Promise<SenderReport[]> | undefined;
  return {
    go: () => {
      reports = Promise.all(children.map(next)) as Promise<SenderReport[]>;
      for (const child of children) child.send('go');
    },
    done: async (): Promise<SenderReport[]> => (reports ? await reports : []),
  };
};

const startProfiler = async () => {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return profile;
    },
  };
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function and per package/module of a V8 CPU profile. */
const summariseProfile = (profile: {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // The delta after sample i is the time it stood for.
    const us = deltas[i + 1] ?? 0;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + us);
  }
  const totalUs = Math.max(1, profile.endTime - profile.startTime);
  const root = repoRoot();
  const where = (url: string): string => {
    if (!url) return '';
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    return file.startsWith(root) ? path.relative(root, file) : file;
  };
  const packageOf = (node: ProfileNode): string => {
    const { url, functionName } = node.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
    if (url.startsWith('node:')) return url.split('/')[0]!;
    const file = where(url);
    const nm = file.lastIndexOf('node_modules/');
    if (nm >= 0) {
      const rest = file.slice(nm + 'node_modules/'.length).split('/');
      return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    }
    const m = /^dist\/(libs\/[^/]+|projections|bench)/.exec(file);
    return m ? `mailpackr ${m[1]}` : file;
  };
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const key =
      `${functionName || '(anonymous)'} ${url ? `${where(url)}:${lineNumber + 1}` : ''}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
    const pkg = packageOf(node);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: round(us / totalUs, 3) }));
  return {
    totalMs: Math.round(totalUs / 1000),
    topFunctions: top(functions, 30),
    byPackage: top(packages, 20),
  };
};

// ── Workload ────────────────────────────────────────────────────────────────────────────────────

const article = (i: number) => `
    <mj-section padding="10px 0">
      <mj-column>
        <mj-text font-size="18px" font-family="Helvetica, Arial, sans-serif">Article ${i}: what is new this month</mj-text>
        <mj-text font-family="Helvetica, Arial, sans-serif">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</mj-text>
        <mj-button background-color="#2d6cdf" color="#ffffff" href="https://www.example/articles/${i}">Read more</mj-button>
      </mj-column>
    </mj-section>`;

const newsletterMjml = (articles: number): string => `<mjml>
  <mj-head><mj-title>${SUBJECT}</mj-title></mj-head>
  <mj-body width="600px">
    <mj-section><mj-column><mj-text>Hello {{firstName}},</mj-text></mj-column></mj-section>${Array.from(
      { length: articles },
      (_, i) => article(i + 1),
    ).join('')}
    <mj-section><mj-column>
      <mj-text font-size="11px">You get this because you subscribed. <a href="{{unsubscribeUrl}}">Unsubscribe</a> or <a href="{{webViewUrl}}">view it online</a>.</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;

/** The MJML whose compiled HTML is about `kb` KiB (compiled twice to size it, then once more). */
const sizedNewsletter = async (runtime: MailpackrRuntime, kb: number) => {
  const compile = (n: number) => runtime.templates.compiler.compile(newsletterMjml(n));
  const a = Buffer.byteLength((await compile(2)).html);
  const b = Buffer.byteLength((await compile(6)).html);
  const perArticle = Math.max(1, (b - a) / 4);
  const articles = Math.max(1, Math.round(2 + (kb * 1024 - a) / perArticle));
  const mjml = newsletterMjml(articles);
  const { html } = await compile(articles);
  return { mjml, html, articles };
};

// ── Raw ─────────────────────────────────────────────────────────────────────────────────────────

const runRaw = async (
  url: string,
  options: Options,
  prepared: ReadonlyArray<{ to: string; envelopeFrom: string; headers: Record<string, string> }>,
  content: { html: string; text: string },
) => {
  const transporter = nodemailer.createTransport(
    smtpPoolOptions({ url, maxConnections: options.connections, maxMessages: options.maxMessages }),
  );
  const memory = memorySampler();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  let sent = 0;
  let firstError: unknown;
  const lane = async () => {
    while (next < prepared.length) {
      const { to, envelopeFrom, headers } = prepared[next++]!;
      const { 'Message-ID': messageId, ...rest } = headers;
      try {
        await transporter.sendMail({
          from: `"${FROM_NAME}" <${FROM_ADDRESS}>`,
          to,
          subject: SUBJECT,
          html: content.html,
          text: content.text,
          headers: rest,
          messageId,
          envelope: { from: envelopeFrom, to: [to] },
        });
        sent++;
      } catch (error) {
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RAW_IN_FLIGHT, prepared.length) }, lane));
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu);
  transporter.close();
  if (sent !== prepared.length) {
    throw new Error(`raw sent ${sent} of ${prepared.length}: ${String(firstError)}`);
  }
  return { ms, sent, cpuSec: (cpuUsed.user + cpuUsed.system) / 1e6, ...memory() };
};

// ── The run ─────────────────────────────────────────────────────────────────────────────────────

const main = async (): Promise<void> => {
  let options: Options;
  try {
    options = parseCommandLine();
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const N = options.recipients;
  const startedAt = new Date();
  const started = performance.now();
  const loadBefore = loadAverage();
  const overallMemory = memorySampler();
  log(
    `pipeline delivery benchmark: ${fmt(N)} recipients on ${options.store}, ${options.connections} SMTP connections ` +
      `(${options.connections * 2} lanes), ${batchLabel(options.batch)}, send rate ${options.sendRate}/s, ` +
      `domain concurrency ${options.domainConcurrency}; load average ${loadBefore.join(' ')}`,
  );

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mp-bench-pipeline-'));
  const outbox = path.join(dataDir, 'sink');
  const sink = await startSink(outbox, options.discard);
  let scratch: ScratchDatabase | undefined;
  let runtime: MailpackrRuntime | undefined;
  const timers = new Timers();
  const errors: string[] = [];
  const result: Record<string, unknown> = {};
  try {
    let database: string | undefined;
    if (options.store === 'postgres') {
      scratch = await createScratchDatabase(options.databaseUrl!, log);
      database = new URL(scratch.connectionString).pathname.slice(1);
      // Per-function timing of mp_append for this database only (superuser setting).
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      try {
        await admin.query(`ALTER DATABASE ${database} SET track_functions = 'pl'`);
      } catch (error) {
        log(`  (track_functions not set: ${(error as Error).message})`);
      } finally {
        await admin.end();
      }
    }
    // The extra sending processes (`--processes`) start from the same environment.
    const runtimeEnv: Record<string, string> = {
      ...(scratch ? { DATABASE_URL: scratch.connectionString } : {}),
      MAILPACKR_KEK: randomBytes(32).toString('base64'),
      MAILPACKR_DATA_DIR: dataDir,
      NODE_ENV: 'production',
      SMTP_URL: sink.url,
      MAILPACKR_SMTP_MAX_CONNECTIONS: String(options.connections),
      MAILPACKR_SMTP_MAX_MESSAGES: String(options.maxMessages),
      MAILPACKR_SEND_RATE: String(options.sendRate),
      MAILPACKR_SEND_BURST: String(options.sendRate),
      MAILPACKR_DOMAIN_CONCURRENCY: String(options.domainConcurrency),
    };
    runtime = await MailpackrRuntime.start(loadConfig({}, runtimeEnv), {
      log: () => undefined,
      warn: (m) => errors.length < 50 && errors.push(`warn: ${m}`),
      error: (m) => errors.length < 50 && errors.push(`error: ${m}`),
    });
    const rt = runtime;

    // ── Set-up: tenant, list, recipients, campaign ──
    const { tenantId } = await rt.tenants.createTenant({
      name: 'Bench Pipeline',
      plan: 'enterprise',
      actor: 'bench',
    });
    log(`  importing ${fmt(N)} recipients (untimed)`);
    let t = performance.now();
    const { context, listId } = await seedAudience(rt, tenantId, {
      header: 'email,name',
      row: (i) => `person.${i}@${DOMAINS[i % DOMAINS.length]},Person ${i}`,
      count: N,
    });
    const importMs = performance.now() - t;

    const newsletter = await sizedNewsletter(rt, options.htmlKb);
    const campaignId = await draftCampaign(rt, context, listId, {
      name: 'Bench pipeline',
      subject: SUBJECT,
      fromAddress: FROM_ADDRESS,
      fromName: FROM_NAME,
      mjmlBody: newsletter.mjml,
    });
    await rt.projections.catchUp();

    log(`  launch`);
    t = performance.now();
    const launch = await rt.campaigns.launch(context, { campaignId, now: new Date() });
    const launchMs = performance.now() - t;
    if (launch.recipients !== N) throw new Error(`launch queued ${launch.recipients} of ${N}`);
    t = performance.now();
    await rt.projections.catchUp();
    const launchCatchUpMs = performance.now() - t;
    log(
      `    ${fmt((N * 1000) / launchMs)} messages queued/s; projections caught up in ${round(launchCatchUpMs / 1000, 1)} s`,
    );

    // ── Instrumentation (wrappers on this runtime's objects; the code paths are unchanged) ──
    wrapAsync(timers, rt.projections, 'waitFor', () => 'catch-up: projections.waitFor');
    wrapAsync(timers, rt.store, 'lastCommittedPosition', () => 'catch-up: lastCommittedPosition');
    wrapAsync(timers, rt.readModels, 'query', (sql: string) =>
      sql.includes('FROM messages m') ? 'due query' : 'readModels.query (other)',
    );
    wrapAsync(
      timers,
      rt.commands,
      'read',
      (stream: string) => `executor.read ${categoryOf(stream)}`,
    );
    wrapAsync(
      timers,
      rt.commands,
      'handle',
      (_s: string, _d: unknown, command: { type: string }) => `executor.handle ${command.type}`,
    );
    wrapAsync(
      timers,
      rt.store,
      'readStream',
      (stream: string) => `  store.readStream ${categoryOf(stream)}`,
    );
    wrapAsync(
      timers,
      rt.store,
      'append',
      (stream: string) => `  store.append ${categoryOf(stream)}`,
    );
    // Every projection loop's subscription read and every `readAll` (waitFor, catch-up), by filter.
    wrapAsync(
      timers,
      rt.store,
      'readAllRows',
      (_from: unknown, filter?: { categories?: string[] }) =>
        `store.readAll (mp_read_all) ${filter?.categories?.join(',') ?? 'all'}`,
    );
    wrapAsync(timers, rt.codec, 'decryptEvents', () => '  codec.decryptEvents');
    wrapAsync(timers, rt.codec, 'encryptEvents', () => '  codec.encryptEvents');
    wrapAsync(
      timers,
      rt.audience,
      'loadMany',
      () => 'audience.loadMany (recipients)',
      (ids: unknown[]) => ids.length,
    );
    wrapAsync(timers, rt.audience, 'suppressions', () => 'audience.suppressions');
    wrapAsync(timers, rt.audience.unsubscribeLinks, 'url', () => 'unsubscribe link (sign)');
    wrapAsync(timers, rt.templates.renderer, 'render', () => 'render (fill + text)');
    wrapAsync(timers, MailTransport.prototype, 'send', () => 'SMTP: MailTransport.send');
    // `--projections delivery`: a runner of its own with only the read models delivery reads. The
    // worker's `waitFor` goes on asking `rt.projections`, which reads the stored checkpoints when
    // its own loops are not running (and polls every 25 ms, as it is not woken by this runner).
    const liveProjections =
      options.projections === 'all'
        ? rt.projections
        : new ProjectionRunner(
            rt.store,
            rt.pool,
            ALL_PROJECTIONS.filter((p) => DELIVERY_PROJECTIONS.includes(p.name)),
          );
    wrapAsync(
      timers,
      liveProjections,
      'applyBatch',
      (projection: { name: string }) => `projection apply: ${projection.name}`,
      (_p: unknown, _f: unknown, batch: unknown[]) => batch.length,
    );
    // Counted by wrapping the prototypes' methods; called back with their own `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const limiterAcquire = SendRateLimiter.prototype.tryAcquire;
    SendRateLimiter.prototype.tryAcquire = function (this: SendRateLimiter, tenant: string) {
      const answer = limiterAcquire.call(this, tenant);
      if (!answer.ok) timers.count('rate limiter: refused (lane sleeps)');
      return answer;
    };
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const domainAcquire = DomainThrottle.prototype.tryAcquire;
    DomainThrottle.prototype.tryAcquire = function (this: DomainThrottle, domain: string) {
      const answer = domainAcquire.call(this, domain);
      if (!answer.ok) timers.count(`domain throttle: refused (${answer.reason})`);
      return answer;
    };
    const waitFor = rt.projections.waitFor.bind(rt.projections);
    rt.projections.waitFor = async (...args) => {
      const reached = await waitFor(...args);
      if (!reached) timers.count('catch-up: waitFor timed out (read models stale)');
      return reached;
    };

    // ── Delivery (timed) ──
    await liveProjections.start();
    await rt.delivery.open();
    const senders = await startSenders(options.processes - 1, runtimeEnv, campaignId);
    await sink.mark();
    const pgStats = async () => {
      if (!database) return undefined;
      const { rows: fn } = await rt.pool.query<{
        funcname: string;
        calls: string;
        total_time: number;
        self_time: number;
      }>(`SELECT funcname, calls::text, total_time, self_time FROM pg_stat_user_functions`);
      const { rows: tables } = await rt.pool.query<{
        relname: string;
        seq_scan: string;
        seq_tup_read: string;
        idx_scan: string | null;
        n_tup_upd: string;
        n_tup_hot_upd: string;
      }>(
        `SELECT relname, seq_scan::text, seq_tup_read::text, idx_scan::text, n_tup_upd::text, n_tup_hot_upd::text
           FROM pg_stat_user_tables WHERE relname IN ('messages', 'campaign_delivery', 'mp_events', 'mp_streams', 'mp_projection_checkpoints', 'campaigns')`,
      );
      const { rows: db } = await rt.pool.query<{ xact_commit: string; xact_rollback: string }>(
        `SELECT xact_commit::text, xact_rollback::text FROM pg_stat_database WHERE datname = current_database()`,
      );
      const wal = await rt.pool
        .query<{ wal_records: string; wal_bytes: string; wal_sync: string; wal_write: string }>(
          `SELECT wal_records::text, wal_bytes::text, wal_sync::text, wal_write::text FROM pg_stat_wal`,
        )
        .then((r) => r.rows[0])
        .catch(() => undefined);
      return { fn, tables, db: db[0], wal };
    };
    const statsBefore = await pgStats();
    const sampler = database
      ? await pgActivitySampler(scratch!.connectionString, database)
      : undefined;
    const profiler = options.profile ? await startProfiler() : undefined;
    const memory = memorySampler();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const poolSamples = { n: 0, waiting: 0, total: 0, idle: 0, maxWaiting: 0 };
    const poolTimer = setInterval(() => {
      poolSamples.n++;
      poolSamples.waiting += rt.pool.waitingCount;
      poolSamples.total += rt.pool.totalCount;
      poolSamples.idle += rt.pool.idleCount;
      poolSamples.maxWaiting = Math.max(poolSamples.maxWaiting, rt.pool.waitingCount);
    }, 20);
    const pgCpuBefore = database ? postgresCpuSeconds() : undefined;
    const dbCpu = database ? await databaseCpu(rt.pool, database) : undefined;
    const sinkCpuBefore = procCpuSeconds(sink.pid);
    const cpuBefore = process.cpuUsage();
    timers.enabled = true;

    log(
      `  delivery: runOnce(${options.batch === undefined ? '' : `{ limit: ${options.batch} }`}) until nothing is due`,
    );
    // Every count the run report has (the report may grow fields: all numeric ones are summed).
    const runMs: number[] = [];
    let sent = 0;
    let lastLog = performance.now();
    const drainStarted = performance.now();
    senders.go();
    const totals = await drainCampaign(rt, campaignId, {
      limit: options.batch,
      onRun: (report, ms) => {
        runMs.push(ms);
        sent += report.sent;
        if (performance.now() - lastLog <= 5000) return;
        lastLog = performance.now();
        const s = (performance.now() - drainStarted) / 1000;
        log(
          `    ${fmt(sent)} sent in ${round(s, 1)} s (${fmt(sent / s)}/s) by this process, last run ${Math.round(ms)} ms`,
        );
      },
    });
    const others = await senders.done();
    const drainMs = performance.now() - drainStarted;
    timers.enabled = false;
    const cpuUsed = process.cpuUsage(cpuBefore);
    for (const other of others) {
      for (const [key, value] of Object.entries(other.totals)) {
        totals[key] = (totals[key] ?? 0) + value;
      }
      errors.push(...other.problems.map((p) => `sending process: ${p}`));
    }
    const othersCpuSec = others.reduce((sum, other) => sum + other.cpuSeconds, 0);
    const sinkCpu = procCpuSeconds(sink.pid) - sinkCpuBefore;
    const pgCpuAfter = database ? postgresCpuSeconds() : undefined;
    const dbCpuSec = await dbCpu?.since();
    const drainMemory = memory();
    loopDelay.disable();
    clearInterval(poolTimer);
    const eventLoop = {
      delayMeanMs: round(loopDelay.mean / 1e6, 1),
      delayP99Ms: round(loopDelay.percentile(99) / 1e6, 1),
      delayMaxMs: round(loopDelay.max / 1e6, 1),
      eventStorePool: {
        avgWaitingClients: round(poolSamples.waiting / Math.max(1, poolSamples.n), 2),
        maxWaitingClients: poolSamples.maxWaiting,
        avgOpen: round(poolSamples.total / Math.max(1, poolSamples.n), 1),
        avgIdle: round(poolSamples.idle / Math.max(1, poolSamples.n), 1),
      },
    };
    const cpuProfile = profiler
      ? await profiler.stop(
          path.join(
            options.profile!,
            `pipeline-${options.store}-${N}-${startedAt.toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
          ),
        )
      : undefined;
    const pgActivity = await sampler?.();
    const statsAfter = await pgStats();
    await liveProjections.stop();

    // ── Exactly once ──
    const atSink = await sink.count();
    const { rows: delivery } = await rt.pool.query<Record<string, string>>(
      `SELECT queued::text, sending::text, sent::text, deferred::text, bounced::text, failed::text, cancelled::text
         FROM campaign_delivery WHERE campaign_id = $1`,
      [campaignId],
    );
    const { rows: eventCounts } = await rt.pool.query<{ event_type: string; n: string }>(
      `SELECT event_type, count(*)::text AS n FROM mp_events WHERE category = 'message' GROUP BY event_type`,
    );
    const events = Object.fromEntries(eventCounts.map((r) => [r.event_type, Number(r.n)]));
    const verification = {
      sinkMessages: atSink.count,
      sinkDistinctMessageIds: atSink.distinct,
      readModel: Object.fromEntries(
        Object.entries(delivery[0] ?? {}).map(([k, v]) => [k, Number(v)]),
      ),
      events,
      ok:
        atSink.count === N &&
        atSink.distinct === N &&
        Number(delivery[0]?.sent) === N &&
        events.MessageSent === N &&
        totals.sent === N,
    };
    if (!verification.ok) {
      errors.push(
        `verification failed: ${JSON.stringify(verification)}; run totals ${JSON.stringify(totals)}`,
      );
    }
    log(
      `    ${fmt((N * 1000) / drainMs)} messages/s; sink got ${fmt(atSink.count)} (${fmt(atSink.distinct)} distinct)`,
    );

    // ── Raw, same sink, same content ──
    log(`  raw nodemailer: ${fmt(N)} messages`);
    const sampleValues = {
      firstName: 'Person',
      lastName: '12345',
      name: 'Person 12345',
      email: 'person.12345@gmail.example',
      attributes: {},
      unsubscribeUrl: rt.audience.unsubscribeLinks.url(
        { tenantId, recipientId: randomUUID(), listId, campaignId },
        new Date(),
      ),
      webViewUrl: `${rt.config.publicUrl}/view/${randomUUID()}`,
    };
    const content = rt.templates.renderer.render(
      { templateId: 'bench-raw', revision: 0 },
      newsletter.html,
      sampleValues,
    );
    const verpKey = randomBytes(32);
    const prepared = Array.from({ length: N }, (_, i) => {
      const messageId = randomUUID();
      const built = buildMessageHeaders(
        { tenantId, campaignId, messageId, recipientId: randomUUID() },
        {
          unsubscribeUrl: sampleValues.unsubscribeUrl,
          unsubscribeMailto: `unsubscribe@${rt.config.MAILPACKR_BOUNCE_DOMAIN}`,
          bounceDomain: rt.config.MAILPACKR_BOUNCE_DOMAIN,
          verpKey,
          feedbackSenderId: 'mailpackr',
        },
      );
      return {
        to: `person.${i}@${DOMAINS[i % DOMAINS.length]}`,
        envelopeFrom: built.envelopeFrom,
        headers: built.headers,
      };
    });
    await sink.mark();
    const rawSinkCpuBefore = procCpuSeconds(sink.pid);
    const raw = await runRaw(sink.url, options, prepared, content);
    const rawSinkCpu = procCpuSeconds(sink.pid) - rawSinkCpuBefore;
    const rawAtSink = await sink.count();
    if (rawAtSink.count !== N) errors.push(`raw: the sink got ${rawAtSink.count} of ${N}`);
    log(`    ${fmt((N * 1000) / raw.ms)} messages/s`);

    // ── Figures ──
    const pipelineRate = Math.round((N * 1000) / drainMs);
    const rawRate = Math.round((N * 1000) / raw.ms);
    const lanes = options.connections * 2;
    const timerRows = timers.entries().map(([label, x]) => ({
      label,
      calls: x.calls,
      totalMs: Math.round(x.ms),
      msPerCall: round(x.ms / Math.max(1, x.calls), 3),
      msPerMessage: round(x.ms / N, 3),
      ...(x.items ? { items: x.items } : {}),
    }));
    const serialMs =
      timers.get('catch-up: projections.waitFor').ms +
      timers.get('catch-up: lastCommittedPosition').ms +
      timers.get('due query').ms +
      timers.get('executor.read campaign').ms +
      timers.get('audience.loadMany (recipients)').ms +
      timers.get('audience.suppressions').ms;
    const runTotalMs = runMs.reduce((a, b) => a + b, 0);
    const laneWork =
      timers.get('executor.handle ClaimMessage').ms +
      timers.get('executor.handle RecordMessageSent').ms +
      timers.get('render (fill + text)').ms +
      timers.get('SMTP: MailTransport.send').ms +
      timers.get('unsubscribe link (sign)').ms;
    const lanesPhaseMs = runTotalMs - serialMs;
    const fnDelta = (name: string) => {
      const a = statsBefore?.fn.find((f) => f.funcname === name);
      const b = statsAfter?.fn.find((f) => f.funcname === name);
      if (!b) return undefined;
      const calls = Number(b.calls) - Number(a?.calls ?? 0);
      const total = b.total_time - (a?.total_time ?? 0);
      return { calls, totalMs: Math.round(total), msPerCall: round(total / Math.max(1, calls), 3) };
    };
    const tableDelta = (name: string) => {
      const a = statsBefore?.tables.find((x) => x.relname === name);
      const b = statsAfter?.tables.find((x) => x.relname === name);
      if (!b) return undefined;
      const d = (k: 'seq_scan' | 'seq_tup_read' | 'idx_scan' | 'n_tup_upd' | 'n_tup_hot_upd') =>
        Number(b[k] ?? 0) - Number(a?.[k] ?? 0);
      return {
        seqScan: d('seq_scan'),
        seqTupRead: d('seq_tup_read'),
        idxScan: d('idx_scan'),
        updates: d('n_tup_upd'),
        hotUpdates: d('n_tup_hot_upd'),
      };
    };
    const drainSec = drainMs / 1000;
    const cpu = {
      nodeSec: round((cpuUsed.user + cpuUsed.system) / 1e6 + othersCpuSec, 1),
      ...(others.length > 0
        ? {
            benchProcessSec: round((cpuUsed.user + cpuUsed.system) / 1e6, 1),
            otherSendingProcessesSec: round(othersCpuSec, 1),
          }
        : {}),
      postgresSec: dbCpuSec === undefined ? null : round(dbCpuSec, 1),
      postgresAllProcessesSec:
        pgCpuAfter !== undefined && pgCpuBefore !== undefined
          ? round(pgCpuAfter - pgCpuBefore, 1)
          : null,
      sinkSec: round(sinkCpu, 1),
      cores: os.cpus().length,
    };
    Object.assign(result, {
      recipients: N,
      pipeline: {
        messagesPerSecond: pipelineRate,
        drainMs: Math.round(drainMs),
        runs: runMs.length,
        runMedianMs: Math.round([...runMs].sort((a, b) => a - b)[runMs.length >> 1] ?? 0),
        totals,
        peakRssMb: drainMemory.peakRssMb,
        peakHeapMb: drainMemory.peakHeapMb,
        messageBytes: atSink.bytes,
        endToEndIncludingLaunch: {
          ms: Math.round(launchMs + launchCatchUpMs + drainMs),
          messagesPerSecond: Math.round((N * 1000) / (launchMs + launchCatchUpMs + drainMs)),
        },
      },
      raw: {
        messagesPerSecond: rawRate,
        ms: Math.round(raw.ms),
        peakRssMb: raw.peakRssMb,
        messageBytes: rawAtSink.bytes,
        nodeCpuSec: round(raw.cpuSec, 1),
        sinkCpuSec: round(rawSinkCpu, 1),
      },
      ratio: round(pipelineRate / rawRate, 2),
      setup: {
        importMs: Math.round(importMs),
        launchMs: Math.round(launchMs),
        launchMessagesPerSecond: Math.round((N * 1000) / launchMs),
        launchCatchUpMs: Math.round(launchCatchUpMs),
        newsletterArticles: newsletter.articles,
        htmlBytes: Buffer.byteLength(newsletter.html),
      },
      verification,
      breakdown: {
        note: 'cumulative wall time of wrapped calls (concurrent lanes each count their own); msPerMessage = totalMs / recipients',
        lanes,
        serialPerRunMs: Math.round(serialMs),
        lanesPhaseMs: Math.round(lanesPhaseMs),
        laneUtilisation: round(laneWork / Math.max(1, lanesPhaseMs * lanes), 2),
        timers: timerRows,
        counters: timers.counters(),
      },
      eventLoop,
      cpu: {
        ...cpu,
        busyCores: round((cpu.nodeSec + (cpu.postgresSec ?? 0) + cpu.sinkSec) / drainSec, 2),
        nodeCores: round(cpu.nodeSec / drainSec, 2),
        postgresCores: cpu.postgresSec === null ? null : round(cpu.postgresSec / drainSec, 2),
        cpuMsPerMessage: {
          node: round((cpu.nodeSec * 1000) / N, 2),
          postgres: cpu.postgresSec === null ? null : round((cpu.postgresSec * 1000) / N, 2),
          sink: round((cpu.sinkSec * 1000) / N, 2),
        },
        sinkCores: round(cpu.sinkSec / drainSec, 2),
      },
      postgres: database
        ? {
            activity: pgActivity,
            functions: { mp_append: fnDelta('mp_append'), mp_read_all: fnDelta('mp_read_all') },
            tables: {
              messages: tableDelta('messages'),
              campaign_delivery: tableDelta('campaign_delivery'),
              mp_events: tableDelta('mp_events'),
              mp_streams: tableDelta('mp_streams'),
              mp_projection_checkpoints: tableDelta('mp_projection_checkpoints'),
            },
            commits:
              statsAfter?.db && statsBefore?.db
                ? Number(statsAfter.db.xact_commit) - Number(statsBefore.db.xact_commit)
                : undefined,
            walClusterWide:
              statsAfter?.wal && statsBefore?.wal
                ? {
                    records:
                      Number(statsAfter.wal.wal_records) - Number(statsBefore.wal.wal_records),
                    mb: round(
                      (Number(statsAfter.wal.wal_bytes) - Number(statsBefore.wal.wal_bytes)) /
                        1048576,
                      1,
                    ),
                    syncs: Number(statsAfter.wal.wal_sync) - Number(statsBefore.wal.wal_sync),
                  }
                : undefined,
          }
        : undefined,
      profile: cpuProfile ? summariseProfile(cpuProfile) : undefined,
    });
  } catch (error) {
    errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
    log(`ERROR ${errors.at(-1)}`);
  } finally {
    await runtime?.close();
    await sink.close();
    await scratch?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const loadAfter = loadAverage();
  const overall = overallMemory();
  const durationSec = round((performance.now() - started) / 1000, 1);

  const report = {
    benchmark: 'delivery-pipeline',
    startedAt: startedAt.toISOString(),
    durationSec,
    mode: options.quick ? 'quick' : 'full',
    environment: { ...machine(), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
    options: { ...options, databaseUrl: options.databaseUrl ? '(set)' : undefined },
    settingsNote:
      (options.projections === 'delivery'
        ? `EXPERIMENT: only the projections delivery reads ran live (${DELIVERY_PROJECTIONS.join(', ')}); `
        : '') +
      `tenant send rate set to ${options.sendRate}/s (burst ${options.sendRate}) for the run: the product default ` +
      `MAILPACKR_SEND_RATE=100 (burst 200) would cap delivery at 100 messages/s per tenant; domain concurrency ${options.domainConcurrency}`,
    peakRssMbWholeRun: overall.peakRssMb,
    ...result,
    errors,
  };

  const out: string[] = [
    '',
    `Delivery pipeline benchmark (${options.store}), ${startedAt.toISOString()}`,
  ];
  const r = result as {
    pipeline?: {
      messagesPerSecond: number;
      drainMs: number;
      peakRssMb: number;
      runs: number;
      runMedianMs: number;
      messageBytes: number;
      endToEndIncludingLaunch: { messagesPerSecond: number };
    };
    raw?: { messagesPerSecond: number; ms: number; peakRssMb: number; messageBytes: number };
    ratio?: number;
    verification?: { ok: boolean };
    breakdown?: {
      lanes: number;
      serialPerRunMs: number;
      lanesPhaseMs: number;
      laneUtilisation: number;
      timers: Array<{ label: string; calls: number; totalMs: number; msPerMessage: number }>;
      counters: Record<string, number>;
    };
    eventLoop?: {
      delayMeanMs: number;
      delayP99Ms: number;
      eventStorePool: {
        avgWaitingClients: number;
        maxWaitingClients: number;
        avgOpen: number;
        avgIdle: number;
      };
    };
    cpu?: {
      busyCores: number;
      nodeCores: number;
      postgresCores: number | null;
      sinkCores: number;
      cores: number;
      cpuMsPerMessage: { node: number; postgres: number | null; sink: number };
    };
    setup?: { launchMessagesPerSecond: number; launchCatchUpMs: number };
    postgres?: {
      activity?: {
        avgActiveBackends: number;
        byQuery: Array<{ label: string; avgActiveBackends: number; share: number }>;
        byWait: Array<{ label: string; share: number }>;
      };
      functions: { mp_append?: { calls: number; msPerCall: number } };
    };
    profile?: {
      byPackage: Array<{ name: string; ms: number; share: number }>;
      topFunctions: Array<{ name: string; ms: number; share: number }>;
    };
  };
  if (r.pipeline && r.raw) {
    out.push(
      `${fmt(N)} recipients, ${options.processes > 1 ? `${options.processes} sending processes, each with ` : ''}` +
        `${options.connections} SMTP connections (${options.connections * 2} lanes), ${batchLabel(options.batch)}, ` +
        `~${fmt(r.pipeline.messageBytes)} B per message (raw ~${fmt(r.raw.messageBytes)} B); sink ${options.discard ? 'counting only' : 'writing .eml files'}; ` +
        `load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; ${os.cpus().length} CPUs`,
      report.settingsNote,
      '',
      `  pipeline (runOnce loop, projections live)  ${fmt(r.pipeline.messagesPerSecond).padStart(7)} messages/s  ` +
        `${round(r.pipeline.drainMs / 1000, 1)} s  peak RSS ${r.pipeline.peakRssMb} MB  ${r.ratio}x raw  ` +
        `(${r.pipeline.runs} runs, median ${r.pipeline.runMedianMs} ms)`,
      `  raw nodemailer, same pool, same sink      ${fmt(r.raw.messagesPerSecond).padStart(7)} messages/s  ` +
        `${round(r.raw.ms / 1000, 1)} s  peak RSS ${r.raw.peakRssMb} MB`,
      `  incl. launch + its catch-up               ${fmt(r.pipeline.endToEndIncludingLaunch.messagesPerSecond).padStart(7)} messages/s  ` +
        `(launch ${fmt(r.setup!.launchMessagesPerSecond)}/s, catch-up ${round(r.setup!.launchCatchUpMs / 1000, 1)} s)`,
      `  exactly once: ${r.verification?.ok ? 'yes' : 'NO'} (sink count, distinct Message-IDs, read model, MessageSent events)`,
      `  target: >= 800 messages/s and >= 0.6x raw: ${r.pipeline.messagesPerSecond >= 800 && (r.ratio ?? 0) >= 0.6 ? 'met' : 'not met'}`,
      '',
    );
    if (r.cpu) {
      out.push(
        `CPU during delivery: ${r.cpu.busyCores} of ${r.cpu.cores} cores busy (node ${r.cpu.nodeCores}, ` +
          `postgres ${r.cpu.postgresCores ?? 'n/a'} for this database's backends, sink ${r.cpu.sinkCores}); per message ` +
          `node ${r.cpu.cpuMsPerMessage.node} ms, postgres ${r.cpu.cpuMsPerMessage.postgres ?? 'n/a'} ms, sink ${r.cpu.cpuMsPerMessage.sink} ms`,
      );
    }
    if (r.eventLoop) {
      const e = r.eventLoop;
      out.push(
        `Event loop delay mean ${e.delayMeanMs} ms, p99 ${e.delayP99Ms} ms; event-store pool (runtime.pool): ` +
          `${e.eventStorePool.avgWaitingClients} clients waiting on average (max ${e.eventStorePool.maxWaitingClients}), ` +
          `${e.eventStorePool.avgOpen} open, ${e.eventStorePool.avgIdle} idle`,
      );
    }
    if (r.breakdown) {
      out.push(
        `Where the time goes (cumulative ms of wrapped calls; ${r.breakdown.lanes} lanes; serial part of runs ` +
          `${fmt(r.breakdown.serialPerRunMs)} ms, lanes phase ${fmt(r.breakdown.lanesPhaseMs)} ms, lane utilisation ${r.breakdown.laneUtilisation}):`,
        ...r.breakdown.timers.map(
          (x) =>
            `  ${x.label.padEnd(46)} ${fmt(x.totalMs).padStart(8)} ms  ${String(x.msPerMessage).padStart(7)} ms/msg  ${fmt(x.calls).padStart(8)} calls`,
        ),
        ...Object.entries(r.breakdown.counters).map(([k, v]) => `  ${k}: ${fmt(v)}`),
      );
    }
    if (r.postgres?.activity) {
      const a = r.postgres.activity;
      out.push(
        '',
        `PostgreSQL (pg_stat_activity every 50 ms): ${a.avgActiveBackends} active backends on average; by query:`,
        ...a.byQuery
          .slice(0, 12)
          .map(
            (q) =>
              `  ${q.label.padEnd(46)} ${String(q.avgActiveBackends).padStart(5)} backends  ${round(q.share * 100, 1)}%`,
          ),
        'by wait event:',
        ...a.byWait.slice(0, 8).map((q) => `  ${q.label.padEnd(46)} ${round(q.share * 100, 1)}%`),
      );
      const append = r.postgres.functions.mp_append;
      if (append)
        out.push(
          `mp_append: ${fmt(append.calls)} calls, ${append.msPerCall} ms each inside PostgreSQL`,
        );
    }
    if (r.profile) {
      out.push(
        '',
        'CPU profile of this process during delivery, self time by package:',
        ...r.profile.byPackage
          .slice(0, 15)
          .map(
            (p) =>
              `  ${p.name.padEnd(46)} ${fmt(p.ms).padStart(7)} ms  ${round(p.share * 100, 1)}%`,
          ),
        'top functions by self time:',
        ...r.profile.topFunctions
          .slice(0, 25)
          .map(
            (p) =>
              `  ${p.name.slice(0, 90).padEnd(90)} ${fmt(p.ms).padStart(7)} ms  ${round(p.share * 100, 1)}%`,
          ),
      );
    }
  }
  if (errors.length)
    out.push('', 'Errors / warnings:', ...errors.slice(0, 20).map((e) => `  ${e}`));
  const json = JSON.stringify(report, null, 2);
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pipeline-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  out.push(
    '',
    `total ${durationSec}s; peak RSS of the whole run ${overall.peakRssMb} MB; JSON written to ${path.relative(process.cwd(), file)}`,
    '',
  );
  process.stdout.write(`${out.join('\n')}\n${json}\n`);
  if (errors.some((e) => !e.startsWith('warn:'))) process.exitCode = 1;
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
