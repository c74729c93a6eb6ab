import 'reflect-metadata';

import { setTimeout as sleep } from 'node:timers/promises';

import { MailpackrRuntime, loadConfig } from '#platform';

/**
 * An extra sending process of `bench:delivery:pipeline --processes <n>`: a runtime on the same
 * database, key and sink as the bench's own, without projection loops (the bench's process runs
 * them for everyone, as one worker does for delivery-only ones), calling `delivery.runOnce()` back
 * to back, as the worker does, from the parent's "go" until nothing is due and nothing of the
 * campaign is left to send. Reports its run totals, CPU seconds and peak RSS, then exits.
 *
 * argv: the runtime's environment as JSON, the campaign id.
 */
const env = JSON.parse(process.argv[2]!) as Record<string, string>;
const campaignId = process.argv[3]!;
const problems: string[] = [];
const note = (m: string) => problems.length < 50 && problems.push(m);
const send = (message: unknown) =>
  new Promise<void>((resolve) => process.send!(message, () => resolve()));

const runtime = await MailpackrRuntime.start(loadConfig({}, env), {
  log: () => undefined,
  warn: (m) => note(`warn: ${m}`),
  error: (m) => note(`error: ${m}`),
});
await runtime.delivery.open();
const go = new Promise((resolve) => process.once('message', resolve));
await send({ type: 'ready' });
await go;

const cpuBefore = process.cpuUsage();
let peakRss = process.memoryUsage().rss;
const totals: Record<string, number> = {};
let idleRuns = 0;
for (;;) {
  const report = await runtime.delivery.runOnce();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  for (const [key, value] of Object.entries(report)) {
    if (typeof value === 'number') totals[key] = (totals[key] ?? 0) + value;
  }
  if (report.due > 0) {
    idleRuns = 0;
    continue;
  }
  const { rows } = await runtime.pool.query<{ left: string }>(
    'SELECT (sending + queued)::text AS left FROM campaign_delivery WHERE campaign_id = $1',
    [campaignId],
  );
  if (rows[0] && Number(rows[0].left) > 0 && idleRuns++ < 20) {
    await sleep(100);
    continue;
  }
  break;
}
const cpu = process.cpuUsage(cpuBefore);
await send({
  type: 'done',
  totals,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: Math.round(peakRss / 1024 / 1024),
  problems,
});
await runtime.close();
process.exit(0);
