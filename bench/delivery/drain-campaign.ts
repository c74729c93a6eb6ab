import { setTimeout as sleep } from 'node:timers/promises';

import type { DeliveryRunReport, MailpackrRuntime } from '#platform';

/**
 * Calls `runtime.delivery.runOnce(limit)` back to back, as the worker does, until a run finds
 * nothing due and nothing of the campaign is still queued or claimed (a lapsed claim would come
 * back; waited for up to 20 times 100 ms). Returns every numeric count of the run reports, summed;
 * `onRun` hears of each run that had messages due, with its wall time.
 */
export const drainCampaign = async (
  runtime: MailpackrRuntime,
  campaignId: string,
  options: { limit?: number; onRun?: (report: DeliveryRunReport, ms: number) => void } = {},
): Promise<Record<string, number>> => {
  const limit = options.limit === undefined ? {} : { limit: options.limit };
  const totals: Record<string, number> = { due: 0, sent: 0, errors: 0 };
  let idleRuns = 0;
  for (;;) {
    const started = performance.now();
    const report = await runtime.delivery.runOnce(limit);
    const ms = performance.now() - started;
    for (const [key, value] of Object.entries(report)) {
      if (typeof value === 'number') totals[key] = (totals[key] ?? 0) + value;
    }
    if (report.due > 0) {
      idleRuns = 0;
      options.onRun?.(report, ms);
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
    return totals;
  }
};
