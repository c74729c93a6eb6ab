/**
 * Billing benchmark (issue 6): two figures, each beside its raw SQL limit measured in the same
 * run on the same database.
 *
 * 1. **Webhook ingest**: per billing event, what `POST /webhooks/billing-events` does after the
 *    HTTP layer: verify the HMAC signature, scan for card data and validate the body, then
 *    `Billing.ingest` (read the tenant and billing streams, decide, append, wait for the `billing`
 *    read model). Events are invoices spread over a few tenants, one after the other as a
 *    provider sends them. Raw: one `INSERT` of the same JSON per event into a plain table.
 * 2. **Quota check at launch**: `Billing.assertCanLaunch` (payment standing, plan, this month's
 *    usage in the tenant's time zone). Raw: the usage `SELECT sum(messages)` alone.
 *
 *   npm run bench:billing -- [--events <n>] [--checks <n>] [--quick] [--backend pglite|postgres]
 *
 * PGlite: a fresh data folder (the default); PostgreSQL: a scratch database `mp_bench_<random>`
 * made from DATABASE_URL and dropped at the end. Progress goes to stderr; a table and one JSON
 * object go to stdout, and the JSON to `bench/results/billing-<timestamp>.json`. Not a test.
 */
import 'reflect-metadata';

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { parseBillingEvent } from '../../apps/api/src/billing/billing-events.payload.js';
import {
  verifyWebhookSignature,
  webhookSignatureHeader,
} from '../../apps/api/src/webhooks/webhook-signature.js';
import { fmt, log, machine, positiveInt, repoRoot, round, table } from '../common/bench-cli.js';
import { startBenchRuntime } from '../common/bench-runtime.js';

const SECRET = `bench-${randomBytes(24).toString('hex')}`;
/** Tenants the events are spread over (20 per tenant with the default 2000: about two years of billing). */
const TENANTS = 100;

const parseCommandLine = () => {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      checks: { type: 'string' },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'pglite' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:billing -- [--events 2000] [--checks 2000] [--quick] [--backend pglite|postgres]\n',
    );
    process.exit(0);
  }
  const backend = values.backend;
  if (backend !== 'pglite' && backend !== 'postgres')
    throw new Error(`--backend must be pglite or postgres, got ${backend}`);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (backend === 'postgres' && !databaseUrl)
    throw new Error('--backend postgres needs DATABASE_URL (a scratch database is made from it)');
  return {
    backend,
    databaseUrl,
    events: positiveInt(values.events, 'events') ?? (values.quick ? 200 : 2000),
    checks: positiveInt(values.checks, 'checks') ?? (values.quick ? 200 : 2000),
  } as const;
};

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);

const main = async () => {
  const options = parseCommandLine();
  const startedAt = new Date();
  const bench = await startBenchRuntime(options, 'billing');
  const { runtime } = bench;
  try {
    await runtime.projections.start();
    const tenants: string[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const created = await runtime.tenants.createTenant({
        name: `Bench Billing ${i}`,
        plan: 'pro',
        actor: 'bench',
      });
      tenants.push(created.tenantId);
    }
    log(`[${options.backend}] ${TENANTS} tenants; ${options.events} billing events`);

    // ── 1. Webhook ingest ──
    const bodies = Array.from({ length: options.events }, (_, i) =>
      JSON.stringify({
        id: `evt_${randomUUID()}`,
        type: 'invoice.issued',
        tenantId: tenants[i % TENANTS],
        invoice: {
          reference: `in_${i}_${randomUUID().slice(0, 8)}`,
          amountMinor: 4900 + i,
          currency: 'EUR',
          periodStart: '2025-01-01T00:00:00Z',
          periodEnd: '2025-02-01T00:00:00Z',
          issuedAt: '2025-01-01T00:05:00Z',
        },
      }),
    );
    const ingestStart = performance.now();
    for (const body of bodies) {
      const now = new Date();
      const rawBody = Buffer.from(body);
      const signature = verifyWebhookSignature({
        header: webhookSignatureHeader(SECRET, rawBody, now),
        secret: SECRET,
        rawBody,
        now,
      });
      if (!signature.ok) throw new Error(`signature ${signature.reason}`);
      const parsed = parseBillingEvent(JSON.parse(body));
      if (!parsed.ok) throw new Error(`${parsed.code} at ${parsed.path}`);
      await runtime.billing.ingest(parsed.event, now);
    }
    const ingestMs = performance.now() - ingestStart;
    log(`[${options.backend}] ingest: ${fmt(perSecond(options.events, ingestMs))} events/s`);

    await runtime.pool.query(
      'CREATE TABLE IF NOT EXISTS bench_raw_billing (id bigserial PRIMARY KEY, body jsonb NOT NULL)',
    );
    const rawStart = performance.now();
    for (const body of bodies)
      await runtime.pool.query('INSERT INTO bench_raw_billing (body) VALUES ($1)', [body]);
    const rawMs = performance.now() - rawStart;
    log(`[${options.backend}] raw INSERT: ${fmt(perSecond(options.events, rawMs))} rows/s`);

    // ── 2. Quota check at launch ──
    const now = new Date();
    await runtime.pool.query(
      `INSERT INTO billing_launches (entry_id, campaign_id, tenant_id, month, messages, started_at)
       SELECT c::text, c, t, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), 10, now()
         FROM (SELECT gen_random_uuid() AS c, t
                 FROM unnest($1::uuid[]) AS t, generate_series(1, 50)) AS launches`,
      [tenants],
    );
    const checkStart = performance.now();
    for (let i = 0; i < options.checks; i++)
      await runtime.billing.assertCanLaunch(tenants[i % TENANTS]!, 100, now);
    const checkMs = performance.now() - checkStart;
    const month = now.toISOString().slice(0, 7);
    const rawCheckStart = performance.now();
    for (let i = 0; i < options.checks; i++)
      await runtime.pool.query(
        'SELECT sum(messages) AS n FROM billing_launches WHERE tenant_id = $1 AND month = $2',
        [tenants[i % TENANTS], month],
      );
    const rawCheckMs = performance.now() - rawCheckStart;

    const results = {
      ingest: {
        events: options.events,
        ms: round(ingestMs, 1),
        eventsPerSec: perSecond(options.events, ingestMs),
        rawInsertRowsPerSec: perSecond(options.events, rawMs),
        ratio: round(rawMs / ingestMs, 3),
      },
      quotaCheck: {
        checks: options.checks,
        microsPerCheck: round((checkMs / options.checks) * 1000, 1),
        rawSelectMicros: round((rawCheckMs / options.checks) * 1000, 1),
        ratio: round(rawCheckMs / checkMs, 3),
      },
    };
    const lines = [
      `Billing on ${options.backend} (${os.cpus().length} CPUs), ${TENANTS} tenants`,
      '',
      table(
        ['what', 'ours', 'raw SQL', 'ours/raw'],
        [
          [
            'webhook ingest (events/s)',
            fmt(results.ingest.eventsPerSec),
            fmt(results.ingest.rawInsertRowsPerSec),
            `${results.ingest.ratio}x`,
          ],
          [
            'quota check at launch (µs each)',
            String(results.quotaCheck.microsPerCheck),
            String(results.quotaCheck.rawSelectMicros),
            `${results.quotaCheck.ratio}x`,
          ],
        ],
        new Set([1, 2, 3]),
      ),
    ];
    const report = {
      benchmark: 'billing',
      startedAt: startedAt.toISOString(),
      backend: options.backend,
      environment: machine(),
      results,
    };
    const dir = path.join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const json = JSON.stringify(report, null, 2);
    writeFileSync(
      path.join(dir, `billing-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
      `${json}\n`,
    );
    process.stdout.write(`${lines.join('\n')}\n\n${json}\n`);
  } finally {
    await bench.close();
  }
};

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
