/**
 * Delivery benchmark (the SMTP building blocks): messages per second through `MailTransport`
 * (headers built per message with `buildMessageHeaders`, pooled nodemailer, outcome classified)
 * to the embedded `SmtpCaptureServer` on loopback, beside the raw limit measured in the same run:
 * plain nodemailer with the same pool settings sending the same messages (headers prepared
 * beforehand) to the same server.
 *
 *   npm run bench:delivery -- [--quick] [--sizes <n,n,...>] [--rounds <n>] [--connections <n>]
 *                              [--max-messages <n>] [--html-kb <n>] [--discard]
 *
 * Each round gives ours and raw a fresh transport (connection set-up is part of the figure) and
 * hands all messages to the pool at once; ours and raw alternate, ours first in even rounds,
 * after one untimed warm-up of each. The capture server runs in a child process of its own (as
 * it would beside a worker) and writes every message as a `.eml` file into a temporary folder,
 * emptied between runs (`--discard`: count only, no files). The figure
 * is the median of the rounds. Progress goes to stderr; the table and one JSON object go to
 * stdout, and the JSON is also written to `bench/results/delivery-<timestamp>.json`.
 *
 * This is a script, not a test: it asserts only that every message was sent and stored, by ours
 * and by raw alike. The full pipeline (events, projections, claim and record) is not in here:
 * this measures the SMTP leg alone, the ceiling the pipeline works under.
 */
import 'reflect-metadata';

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import nodemailer from 'nodemailer';

import {
  MailTransport,
  type OutgoingMessage,
  buildMessageHeaders,
  smtpPoolOptions,
} from '#platform';

import {
  fmt,
  loadAverage,
  log,
  machine,
  median,
  positiveInt,
  repoRoot,
  round,
  table,
} from '../common/bench-cli.js';
import { startSink } from '../common/smtp-sink.js';

// ── Command line ────────────────────────────────────────────────────────────────────────────────

const DEFAULT_SIZES = [2_000, 10_000];
const QUICK_SIZES = [500, 2_000];

const USAGE = `Usage: node dist/bench/delivery/delivery.bench.js [options]
  --sizes <n,n,...>    messages per run (default ${DEFAULT_SIZES.join(',')}; ${QUICK_SIZES.join(',')} with --quick)
  --rounds <n>         rounds per size, ours and raw alternating (default 3; 1 with --quick)
  --connections <n>    pooled SMTP connections, ours and raw alike (default 5)
  --max-messages <n>   messages per connection before it is replaced (default 100)
  --html-kb <n>        size of the HTML part in KiB (default 20)
  --discard            the capture server counts messages but writes no files
  --quick              small sizes, one round: a smoke run
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'max-messages': { type: 'string' },
      'html-kb': { type: 'string' },
      discard: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const sizes = values.sizes
    ? values.sizes.split(',').map((s) => positiveInt(s.trim(), 'sizes')!)
    : quick
      ? QUICK_SIZES
      : DEFAULT_SIZES;
  return {
    quick,
    sizes,
    rounds: positiveInt(values.rounds, 'rounds') ?? (quick ? 1 : 3),
    connections: positiveInt(values.connections, 'connections') ?? 5,
    maxMessages: positiveInt(values['max-messages'], 'max-messages') ?? 100,
    htmlKb: positiveInt(values['html-kb'], 'html-kb') ?? 20,
    discard: values.discard,
  };
};

type Options = ReturnType<typeof parseCommandLine>;

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

/** Peak resident set size while `work` runs, sampled every 50 ms. */
const withPeakRss = async <T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> => {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakRssMb: Math.round(peak / 1024 / 1024) };
  } finally {
    clearInterval(timer);
  }
};

// ── Workload ────────────────────────────────────────────────────────────────────────────────────

const BOUNCE_DOMAIN = 'bounces.mailpackr.test';
const DOMAINS = ['gmail.example', 'outlook.example', 'yahoo.example', 'corp.example'];

/** A newsletter of about `kb` KiB of HTML, with a plain-text part. */
const newsletter = (kb: number): { html: string; text: string } => {
  const article = (i: number) =>
    `<tr><td style="padding:10px 25px;font-family:Helvetica,Arial,sans-serif">` +
    `<h2 style="font-size:18px">Article ${i}: what is new this month</h2>` +
    `<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ` +
    `ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.</p>` +
    `<a href="https://www.example/articles/${i}" style="background:#2d6cdf;color:#fff">Read more</a>` +
    `</td></tr>`;
  let body = '';
  for (let i = 1; Buffer.byteLength(body) < kb * 1024; i++) body += article(i);
  const html = `<!doctype html><html><body><table width="600">${body}</table></body></html>`;
  return { html, text: html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') };
};

interface Recipient {
  tenantId: string;
  campaignId: string;
  messageId: string;
  recipientId: string;
  address: string;
}

const recipientsFor = (count: number): Recipient[] => {
  const tenantId = randomUUID();
  const campaignId = randomUUID();
  return Array.from({ length: count }, (_, i) => ({
    tenantId,
    campaignId,
    messageId: randomUUID(),
    recipientId: randomUUID(),
    address: `person.${i}@${DOMAINS[i % DOMAINS.length]}`,
  }));
};

const verpKey = randomBytes(32);

const headerOptions = (messageId: string) => ({
  unsubscribeUrl: `https://mail.example.com/unsubscribe/${messageId}.c2lnbmF0dXJl`,
  unsubscribeMailto: `unsubscribe@${BOUNCE_DOMAIN}`,
  bounceDomain: BOUNCE_DOMAIN,
  verpKey,
  feedbackSenderId: 'mp1',
});

// ── Measurements ────────────────────────────────────────────────────────────────────────────────

interface Run {
  ms: number;
  sent: number;
  peakRssMb: number;
}

/** Ours: per message, build the headers, send through `MailTransport`, classify the outcome. */
const runOurs = async (
  url: string,
  options: Options,
  people: readonly Recipient[],
  content: { html: string; text: string },
): Promise<Run> => {
  const transport = new MailTransport({
    url,
    maxConnections: options.connections,
    maxMessages: options.maxMessages,
  });
  const started = performance.now();
  const { value: outcomes, peakRssMb } = await withPeakRss(() =>
    Promise.all(
      people.map((person) => {
        const built = buildMessageHeaders(person, headerOptions(person.messageId));
        const message: OutgoingMessage = {
          from: '"Acme News" <news@acme.example>',
          to: person.address,
          envelopeFrom: built.envelopeFrom,
          subject: 'Spring news',
          html: content.html,
          text: content.text,
          headers: built.headers,
        };
        return transport.send(message);
      }),
    ),
  );
  const ms = performance.now() - started;
  await transport.close();
  const sent = outcomes.filter((o) => o.kind === 'sent').length;
  if (sent !== people.length) {
    const other = outcomes.find((o) => o.kind !== 'sent');
    throw new Error(`ours sent ${sent} of ${people.length}: ${JSON.stringify(other)}`);
  }
  return { ms, sent, peakRssMb };
};

/** Raw: plain nodemailer, same pool settings, same messages with their headers ready-made. */
const runRaw = async (
  url: string,
  options: Options,
  prepared: ReadonlyArray<{ to: string; envelopeFrom: string; headers: Record<string, string> }>,
  content: { html: string; text: string },
): Promise<Run> => {
  const transporter = nodemailer.createTransport(
    smtpPoolOptions({ url, maxConnections: options.connections, maxMessages: options.maxMessages }),
  );
  const started = performance.now();
  const { value: results, peakRssMb } = await withPeakRss(() =>
    Promise.allSettled(
      prepared.map(({ to, envelopeFrom, headers }) => {
        const { 'Message-ID': messageId, ...rest } = headers;
        return transporter.sendMail({
          from: '"Acme News" <news@acme.example>',
          to,
          subject: 'Spring news',
          html: content.html,
          text: content.text,
          headers: rest,
          messageId,
          envelope: { from: envelopeFrom, to: [to] },
        });
      }),
    ),
  );
  const ms = performance.now() - started;
  transporter.close();
  const sent = results.filter((r) => r.status === 'fulfilled').length;
  if (sent !== prepared.length) {
    const failed = results.find((r) => r.status === 'rejected');
    throw new Error(`raw sent ${sent} of ${prepared.length}: ${String(failed?.reason)}`);
  }
  return { ms, sent, peakRssMb };
};

interface SizeResult {
  messages: number;
  ours: { messagesPerSecond: number; medianMs: number; roundsMs: number[]; peakRssMb: number };
  raw: { messagesPerSecond: number; medianMs: number; roundsMs: number[]; peakRssMb: number };
  ratio: number;
  stored: number;
}

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
  const loadBefore = loadAverage();
  const content = newsletter(options.htmlKb);
  log(
    `delivery benchmark${options.quick ? ' (quick)' : ''}: sizes ${options.sizes.map(fmt).join(', ')}, ` +
      `${options.rounds} rounds, ${options.connections} connections, ` +
      `${fmt(Buffer.byteLength(content.html))} B HTML; load average ${loadBefore.join(' ')}`,
  );

  const outbox = mkdtempSync(path.join(os.tmpdir(), 'mp-bench-delivery-'));
  const server = await startSink(outbox, options.discard);
  const empty = () => {
    rmSync(outbox, { recursive: true, force: true });
    mkdirSync(outbox, { recursive: true, mode: 0o700 });
  };

  const results: SizeResult[] = [];
  let messageBytes: number;
  try {
    // Warm-up, untimed: module loading, JIT, the server's first connections.
    const warm = recipientsFor(200);
    await runOurs(server.url, options, warm, content);
    await runRaw(
      server.url,
      options,
      warm.map((p) => ({ to: p.address, ...buildMessageHeaders(p, headerOptions(p.messageId)) })),
      content,
    );
    messageBytes = (await server.count()).bytes;
    empty();

    for (const size of options.sizes) {
      const oursRuns: Run[] = [];
      const rawRuns: Run[] = [];
      let stored = 0;
      for (let r = 0; r < options.rounds; r++) {
        // Fresh ids per run, so each run stores its own files; raw's headers are made untimed.
        const forOurs = recipientsFor(size);
        const forRaw = recipientsFor(size).map((p) => ({
          to: p.address,
          ...buildMessageHeaders(p, headerOptions(p.messageId)),
        }));
        const before = (await server.count()).count;
        const order = r % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const);
        for (const which of order) {
          log(`  ${fmt(size)} messages, round ${r + 1}/${options.rounds}: ${which}`);
          if (which === 'ours') oursRuns.push(await runOurs(server.url, options, forOurs, content));
          else rawRuns.push(await runRaw(server.url, options, forRaw, content));
        }
        stored = (await server.count()).count - before;
        if (stored !== 2 * size) throw new Error(`server stored ${stored} of ${2 * size}`);
        empty();
      }
      const summary = (runs: Run[]) => {
        const ms = median(runs.map((x) => x.ms));
        return {
          messagesPerSecond: Math.round((size * 1000) / ms),
          medianMs: round(ms, 1),
          roundsMs: runs.map((x) => round(x.ms, 1)),
          peakRssMb: Math.max(...runs.map((x) => x.peakRssMb)),
        };
      };
      const ours = summary(oursRuns);
      const raw = summary(rawRuns);
      results.push({
        messages: size,
        ours,
        raw,
        ratio: round(ours.messagesPerSecond / raw.messagesPerSecond, 2),
        stored,
      });
    }
  } finally {
    await server.close();
    rmSync(outbox, { recursive: true, force: true });
  }
  const loadAfter = loadAverage();

  const rows = results.flatMap((r) => [
    [
      fmt(r.messages),
      'MailTransport: headers + pooled send + outcome (ours)',
      fmt(r.ours.messagesPerSecond),
      `${r.ours.medianMs} ms`,
      `${r.ours.peakRssMb} MB`,
      `${r.ratio}x raw`,
    ],
    [
      fmt(r.messages),
      'raw: nodemailer, same pool, same messages',
      fmt(r.raw.messagesPerSecond),
      `${r.raw.medianMs} ms`,
      `${r.raw.peakRssMb} MB`,
      '',
    ],
  ]);
  const durationSec = Math.round((performance.now() - started) / 100) / 10;
  const out = [
    '',
    `Delivery benchmark (${options.quick ? 'quick' : 'full'}), ${startedAt.toISOString()}`,
    `to the capture server on loopback (${options.discard ? 'counting only' : '.eml files written'}); ` +
      `${options.connections} pooled connections, ${options.maxMessages} messages each; ` +
      `~${fmt(messageBytes)} B per message (${options.htmlKb} KiB HTML + text); median of ` +
      `${options.rounds} rounds; load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; ` +
      `${os.cpus().length} CPUs; the server runs in its own process`,
    '',
    table(
      ['messages', 'measurement', 'messages/s', 'median', 'peak RSS', 'ours vs raw'],
      rows,
      new Set([0, 2, 3, 4]),
    ),
  ];
  const report = {
    benchmark: 'delivery',
    startedAt: startedAt.toISOString(),
    durationSec,
    mode: options.quick ? 'quick' : 'full',
    environment: { ...machine(), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
    options,
    messageBytes,
    results,
  };
  const json = JSON.stringify(report, null, 2);
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `delivery-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  out.push('', `total ${durationSec}s; JSON written to ${path.relative(process.cwd(), file)}`, '');
  process.stdout.write(`${out.join('\n')}\n${json}\n`);
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
