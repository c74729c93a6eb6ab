import 'reflect-metadata';

import { MailpackrRuntime, loadConfig } from '#platform';

import { drainCampaign } from './drain-campaign.js';

/**
 * An extra sending process of `bench:delivery:pipeline --processes <n>`: a runtime on the same
 * database, key and sink as the bench's own, without projection loops (the bench's process runs
 * them for everyone, as one worker does for delivery-only ones), draining the campaign
 * (`drainCampaign`, as the bench's own process does) from the parent's "go". Reports its run
 * totals, CPU seconds and peak RSS, then exits.
 *
 * argv: the campaign id; `MAILPACKR_BENCH_SENDER_ENV`: the runtime's environment as JSON.
 */
const env = JSON.parse(process.env.MAILPACKR_BENCH_SENDER_ENV ?? '{}') as Record<string, string>;
const campaignId = process.argv[2]!;
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
const totals = await drainCampaign(runtime, campaignId, {
  onRun: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
});
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
