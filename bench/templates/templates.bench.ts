/**
 * Template benchmark: what a template costs once per revision (strict MJML validation and
 * compilation, precompilation of the fill) and per recipient (filling the compiled HTML, and the
 * plain-text part), each beside the raw limit measured in the same run:
 *
 * - per revision: `TemplateCompiler.compile` (merge-field checks + MJML strict + check of the
 *   HTML) beside `mjml2html` alone on the same document;
 * - per recipient: `TemplateRenderer` (Handlebars, precompiled once, values HTML-escaped) beside a
 *   plain `String.replaceAll` of the same fields with the same escaping, and beside the raw limit
 *   of a plain fill: the HTML split at its fields once and joined per recipient (same output from
 *   all three, checked).
 *
 *   npm run bench:templates -- [--quick] [--recipients <n>] [--rounds <n>] [--compiles <n>]
 *
 * No database: templates are compiled and filled in memory, as the delivery worker will do.
 * Progress goes to stderr; the table of results and one JSON object with every figure go to
 * stdout, and the JSON is also written to `bench/results/templates-<timestamp>.json`.
 *
 * Rounds alternate ours and raw (the order rotates every round, after one untimed warm-up pass);
 * the figure is the median of the rounds. This is a script, not a test: it asserts only that ours and raw
 * produce the same HTML.
 */
import 'reflect-metadata';

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import mjml2html from 'mjml';

import { type MergeValues, TemplateCompiler, TemplateRenderer } from '#platform';
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

// ── Command line ────────────────────────────────────────────────────────────────────────────────

const USAGE = `Usage: node dist/bench/templates/templates.bench.js [options]
  --recipients <n>     recipients filled per round (default 100000; 10000 with --quick)
  --compiles <n>       MJML compilations per round (default 20; 5 with --quick)
  --rounds <n>         rounds per measurement, ours and raw alternating (default 5; 2 with --quick)
  --quick              small sizes: a smoke run of every measurement
  --help`;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      recipients: { type: 'string' },
      compiles: { type: 'string' },
      rounds: { type: 'string' },
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
  return {
    quick,
    recipients: positiveInt(values.recipients, 'recipients') ?? (quick ? 10_000 : 100_000),
    compiles: positiveInt(values.compiles, 'compiles') ?? (quick ? 5 : 20),
    rounds: positiveInt(values.rounds, 'rounds') ?? (quick ? 2 : 5),
  };
};

type Options = ReturnType<typeof parseCommandLine>;

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

// ── Workload ────────────────────────────────────────────────────────────────────────────────────

/** A newsletter of the usual shape: header, hero, three articles, a call to action, footer. */
const newsletterMjml = (): string => {
  const article = (i: number) => `
    <mj-section padding="10px 25px">
      <mj-column width="35%"><mj-image src="https://cdn.example/article-${i}.png" alt="Article ${i}" /></mj-column>
      <mj-column width="65%">
        <mj-text font-size="18px" font-weight="bold">Article ${i}: what is new this month</mj-text>
        <mj-text>Dear {{firstName}}, as a {{attributes.plan}} customer in {{attributes.city}} you get the
          full story first. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
          tempor incididunt ut labore et dolore magna aliqua.</mj-text>
        <mj-button href="https://www.example/articles/${i}" background-color="#2d6cdf">Read more</mj-button>
      </mj-column>
    </mj-section>`;
  return `<mjml>
  <mj-head>
    <mj-title>News for {{firstName}}</mj-title>
    <mj-preview>This month at Example, {{firstName}}</mj-preview>
    <mj-attributes><mj-all font-family="Helvetica, Arial, sans-serif" /></mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="#ffffff">
      <mj-column><mj-text align="right" font-size="11px"><a href="{{webViewUrl}}">View in your browser</a></mj-text></mj-column>
    </mj-section>
    <mj-hero mode="fluid-height" background-url="https://cdn.example/hero.jpg" background-color="#2a3448" padding="60px 0">
      <mj-text color="#ffffff" font-size="32px" align="center">Hello {{firstName}} {{lastName}}</mj-text>
    </mj-hero>${[1, 2, 3].map(article).join('')}
    <mj-section background-color="#ffffff">
      <mj-column>
        <mj-divider border-color="#dddddd" />
        <mj-text font-size="11px" color="#888888">You receive this at {{email}} because you subscribed.
          <a href="{{unsubscribeUrl}}">Unsubscribe</a> at any time.</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
};

const FIELDS = [
  'firstName',
  'lastName',
  'email',
  'attributes.plan',
  'attributes.city',
  'unsubscribeUrl',
  'webViewUrl',
] as const;

const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const CITIES = ['Lyon', 'Zürich', 'O’Brien Town', 'São Paulo', 'New "Quoted" York', 'A&B <City>'];

/** Recipients with varied values, some needing escaping (made before timing). */
const recipients = (count: number): MergeValues[] =>
  Array.from({ length: count }, (_, i) => ({
    firstName: i % 10 === 0 ? `Ann<${i}>` : `Ann${i}`,
    lastName: `O'Lovelace-${i}`,
    name: `Ann${i} O'Lovelace-${i}`,
    email: `ann.${i}@example.org`,
    attributes: { plan: PLANS[i % PLANS.length]!, city: CITIES[i % CITIES.length]! },
    unsubscribeUrl: `https://mail.example/unsubscribe/${i.toString(36).padStart(40, 'x')}`,
    webViewUrl: `https://mail.example/view/${i.toString(36).padStart(40, 'y')}`,
  }));

/** Handlebars' escaping, character for character, so raw and ours produce the same bytes. */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;',
};
const escapeHtml = (value: string): string =>
  /[&<>"'`=]/.test(value) ? value.replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!) : value;

const valueOf = (values: MergeValues, field: (typeof FIELDS)[number]): string => {
  if (field.startsWith('attributes.')) {
    const v = values.attributes[field.slice('attributes.'.length)];
    return v === null || v === undefined ? '' : String(v);
  }
  return values[field as Exclude<(typeof FIELDS)[number], `attributes.${string}`>];
};

/** Raw: one `replaceAll` per field over the compiled HTML, values escaped the same way. */
const rawFill = (html: string, values: MergeValues): string => {
  let out = html;
  for (const field of FIELDS)
    out = out.replaceAll(`{{${field}}}`, escapeHtml(valueOf(values, field)));
  return out;
};

/**
 * The raw limit: the HTML split at its fields once (like a precompiled template, without any
 * template engine), then one concatenation per recipient, values escaped the same way.
 */
const rawSplitFill = (html: string): ((values: MergeValues) => string) => {
  const pattern = new RegExp(`\\{\\{(${FIELDS.map((f) => f.replace('.', '\\.')).join('|')})\\}\\}`);
  const parts = html.split(pattern); // literal, field, literal, field, …, literal
  return (values) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      out += escapeHtml(valueOf(values, parts[i] as (typeof FIELDS)[number])) + parts[i + 1]!;
    }
    return out;
  };
};

// ── Measurements ────────────────────────────────────────────────────────────────────────────────

interface Figure {
  /** Median of the rounds. */
  ms: number;
  perSecond: number;
  /** Per operation, µs (median round). */
  microsEach: number;
  operations: number;
  roundsMs: number[];
}

const figure = (operations: number, roundsMs: number[]): Figure => {
  const ms = median(roundsMs);
  return {
    ms: round(ms),
    perSecond: Math.round((operations * 1000) / ms),
    microsEach: round((ms * 1000) / operations),
    operations,
    roundsMs: roundsMs.map((r) => round(r)),
  };
};

const time = async (work: () => unknown): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

/** Rounds of several measurements, in an order that rotates every round. */
const rotate = async (rounds: number, work: ReadonlyArray<() => unknown>): Promise<number[][]> => {
  const result = work.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < work.length; k++) {
      const i = (r + k) % work.length;
      result[i]!.push(await time(work[i]!));
    }
  }
  return result;
};

/** Rounds alternating two measurements, ours first in even rounds. */
const alternate = async (
  rounds: number,
  ours: () => unknown,
  raw: () => unknown,
): Promise<{ ours: number[]; raw: number[] }> => {
  const result = { ours: [] as number[], raw: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      result.ours.push(await time(ours));
      result.raw.push(await time(raw));
    } else {
      result.raw.push(await time(raw));
      result.ours.push(await time(ours));
    }
  }
  return result;
};

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
  log(
    `templates benchmark${options.quick ? ' (quick)' : ''}: ${fmt(options.recipients)} recipients, ` +
      `${options.compiles} compilations, ${options.rounds} rounds; load average ${loadBefore.join(' ')}`,
  );

  const mjml = newsletterMjml();
  const compiler = new TemplateCompiler();

  // Warm both paths up (module loading, JIT) before measuring anything.
  const { html, mergeFields } = await compiler.compile(mjml);
  await mjml2html(mjml, { validationLevel: 'strict' });

  log('per revision: TemplateCompiler.compile vs mjml2html alone');
  const compiles = await alternate(
    options.rounds,
    async () => {
      for (let i = 0; i < options.compiles; i++) await compiler.compile(mjml);
    },
    async () => {
      for (let i = 0; i < options.compiles; i++)
        await mjml2html(mjml, { validationLevel: 'strict', minify: false, beautify: false });
    },
  );

  log('per revision: precompilation of the fill (first render of a new revision)');
  const precompileRounds: number[] = [];
  const sample = recipients(1)[0]!;
  for (let r = 0; r < Math.max(options.rounds, 5); r++) {
    const renderer = new TemplateRenderer();
    precompileRounds.push(
      await time(() => renderer.render({ templateId: 'bench', revision: r }, html, sample)),
    );
  }

  const people = recipients(options.recipients);
  const renderer = new TemplateRenderer();
  const key = { templateId: 'bench', revision: 1 };
  renderer.render(key, html, people[0]!); // precompiled once, as in a campaign

  const splitFill = rawSplitFill(html);

  // Same bytes from ours and both raws, for every recipient of a sample.
  for (const person of people.slice(0, 1000)) {
    const ours = renderer.fillHtml(key, html, person);
    if (ours !== rawFill(html, person) || ours !== splitFill(person)) {
      throw new Error('Ours and raw fill produce different HTML: the comparison would be unfair');
    }
  }

  let sink = 0;
  const fillOurs = () => {
    for (const person of people) sink += renderer.fillHtml(key, html, person).length;
  };
  const fillReplaceAll = () => {
    for (const person of people) sink += rawFill(html, person).length;
  };
  const fillSplit = () => {
    for (const person of people) sink += splitFill(person).length;
  };
  // One untimed pass of each, so no round pays for the JIT.
  for (const warmUp of [fillOurs, fillReplaceAll, fillSplit]) warmUp();
  log(
    `per recipient: fill of ${fmt(options.recipients)} recipients, ours vs String.replaceAll vs split/join`,
  );
  const [fillsOurs, fillsReplaceAll, fillsSplit] = await rotate(options.rounds, [
    fillOurs,
    fillReplaceAll,
    fillSplit,
  ]);

  log('per recipient: HTML and plain-text parts');
  const renderRounds: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    renderRounds.push(
      await time(() => {
        for (const person of people) {
          const rendered = renderer.render(key, html, person);
          sink += rendered.html.length + rendered.text.length;
        }
      }),
    );
  }

  const results = {
    template: {
      mjmlBytes: Buffer.byteLength(mjml),
      htmlBytes: Buffer.byteLength(html),
      mergeFields,
    },
    perRevision: {
      compile: figure(options.compiles, compiles.ours),
      rawMjml2html: figure(options.compiles, compiles.raw),
      precompileFill: figure(1, precompileRounds),
    },
    perRecipient: {
      fillHtml: figure(options.recipients, fillsOurs!),
      rawReplaceAll: figure(options.recipients, fillsReplaceAll!),
      rawSplitJoin: figure(options.recipients, fillsSplit!),
      renderHtmlAndText: figure(options.recipients, renderRounds),
    },
    ratios: {} as Record<string, number>,
    checksum: sink,
  };
  const { perRevision: rev, perRecipient: rec } = results;
  results.ratios = {
    compile_vs_raw_mjml: round(rev.compile.microsEach / rev.rawMjml2html.microsEach, 2),
    fill_vs_raw_replace: round(rec.fillHtml.microsEach / rec.rawReplaceAll.microsEach, 2),
    fill_vs_raw_split_join: round(rec.fillHtml.microsEach / rec.rawSplitJoin.microsEach, 2),
    compile_per_recipient_vs_fill: round(rev.compile.microsEach / rec.fillHtml.microsEach, 0),
  };
  const loadAfter = loadAverage();

  const rows: string[][] = [
    [
      'per revision',
      'compile: merge fields + MJML strict + HTML check (ours)',
      `${round(rev.compile.microsEach / 1000, 2)} ms`,
      fmt(rev.compile.perSecond),
      `${results.ratios.compile_vs_raw_mjml}x raw`,
    ],
    [
      'per revision',
      'raw: mjml2html strict alone',
      `${round(rev.rawMjml2html.microsEach / 1000, 2)} ms`,
      fmt(rev.rawMjml2html.perSecond),
      '',
    ],
    [
      'per revision',
      'precompile the fill (Handlebars HTML + text)',
      `${round(rev.precompileFill.microsEach / 1000, 2)} ms`,
      fmt(rev.precompileFill.perSecond),
      '',
    ],
    [
      'per recipient',
      `fill HTML, Handlebars precompiled (ours)`,
      `${rec.fillHtml.microsEach} µs`,
      fmt(rec.fillHtml.perSecond),
      `${results.ratios.fill_vs_raw_replace}x replaceAll, ${results.ratios.fill_vs_raw_split_join}x split/join`,
    ],
    [
      'per recipient',
      'raw: String.replaceAll per field, same escaping',
      `${rec.rawReplaceAll.microsEach} µs`,
      fmt(rec.rawReplaceAll.perSecond),
      '',
    ],
    [
      'per recipient',
      'raw limit: HTML split at the fields once, joined per recipient',
      `${rec.rawSplitJoin.microsEach} µs`,
      fmt(rec.rawSplitJoin.perSecond),
      '',
    ],
    [
      'per recipient',
      'fill HTML + plain-text part (ours)',
      `${rec.renderHtmlAndText.microsEach} µs`,
      fmt(rec.renderHtmlAndText.perSecond),
      '',
    ],
  ];

  const out: string[] = [
    '',
    `Templates benchmark (${options.quick ? 'quick' : 'full'}), ${startedAt.toISOString()}`,
    `template: ${results.template.mjmlBytes} B MJML -> ${results.template.htmlBytes} B HTML, ` +
      `${mergeFields.length} merge fields; ${fmt(options.recipients)} recipients, ${options.compiles} ` +
      `compilations per round, median of ${options.rounds} rounds; load average ${loadBefore.join(' ')} ` +
      `before, ${loadAfter.join(' ')} after; ${os.cpus().length} CPUs; no database`,
    '',
    table(['when', 'measurement', 'each', 'per second', 'ours vs raw'], rows, new Set([2, 3])),
    '',
    `Compiling the MJML for every recipient instead of once per revision would cost ` +
      `${results.ratios.compile_per_recipient_vs_fill}x the fill.`,
  ];

  const durationSec = Math.round((performance.now() - started) / 100) / 10;
  const report = {
    benchmark: 'templates',
    startedAt: startedAt.toISOString(),
    durationSec,
    mode: options.quick ? 'quick' : 'full',
    environment: {
      ...machine(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    options,
    results,
  };
  const json = JSON.stringify(report, null, 2);
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `templates-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  out.push(
    '',
    `total ${durationSec}s; JSON written to ${path.relative(process.cwd(), file) || file}`,
    '',
  );
  process.stdout.write(`${out.join('\n')}\n${json}\n`);
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
