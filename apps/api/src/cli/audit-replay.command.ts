import { SingleBar } from 'cli-progress';

import {
  AuditReplay,
  AuditReplayError,
  DEFAULT_REPLAY_WAIT_MS,
  type MailpackrRuntime,
  type ReplayReport,
} from '#platform';

import { type CliCaller, assertCliAllowed } from './cli-caller.js';

/** Exit codes of `mailpackr audit replay`. */
export const AUDIT_REPLAY_EXIT = { match: 0, failed: 1, difference: 3 } as const;

export const AUDIT_REPLAY_USAGE = `  mailpackr audit replay [--projection <name>]
      Rebuilds every read model (or one) from the history into a scratch schema and compares it
      with the live read models, table by table (row counts, checksums, first differing keys).
      With MAILPACKR_API_KEY or MAILPACKR_SESSION_TOKEN (audit permission) only that tenant's rows
      are compared; without them the platform operator compares every row. Exit code 0 when they match, 3 when they differ.`;

const pad = (text: string, width: number) => text.padEnd(width);
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report as text: ids, counts and checksums only, never personal data. */
export const formatReplayReport = (report: ReplayReport): string[] => {
  const lines = [
    // A tenant's auditor does not learn how big the whole platform's log is.
    `Replayed ${report.tenantId ? 'the log' : `${report.events.toLocaleString('en-US')} events`} ` +
      `to log position ${report.position ?? '(empty log)'} in ${seconds(report.ms.total)} ` +
      `(replay ${seconds(report.ms.replay)}, waiting for the live read models ` +
      `${seconds(report.ms.wait)}, compare ${seconds(report.ms.compare)})`,
    report.tenantId
      ? `Compared the rows of tenant ${report.tenantId}` +
        (report.skippedTables.length > 0
          ? ` (not compared, no tenant column: ${report.skippedTables.join(', ')})`
          : '')
      : 'Compared every row of every tenant',
    '',
  ];
  const width = Math.max(5, ...report.tables.map((t) => t.table.length));
  lines.push(
    `${pad('TABLE', width)}  ${'LIVE ROWS'.padStart(10)}  ${'REPLAY ROWS'.padStart(11)}  ${pad('LIVE CHECKSUM', 32)}  ${pad('REPLAY CHECKSUM', 32)}  RESULT`,
  );
  for (const t of report.tables) {
    lines.push(
      `${pad(t.table, width)}  ${String(t.live.rows).padStart(10)}  ${String(t.replay.rows).padStart(11)}  ` +
        `${t.live.checksum}  ${t.replay.checksum}  ${t.match ? 'match' : 'DIFFERENT'}`,
    );
  }
  for (const t of report.tables.filter((x) => !x.match)) {
    lines.push('', `${t.table} (projection ${t.projection}): first differing rows`);
    for (const d of t.differences) {
      const where =
        d.kind === 'changed'
          ? 'differs'
          : d.kind === 'only-live'
            ? 'only in the live table'
            : 'only in the replay';
      lines.push(`  ${d.key}  ${where}`);
    }
  }
  const differing = report.tables.filter((t) => !t.match).length;
  lines.push(
    '',
    differing === 0
      ? `The live read models match the history (${plural(report.tables.length, 'table')}).`
      : `${differing} of ${plural(report.tables.length, 'table')} differ from the history.`,
  );
  return lines;
};

/**
 * `mailpackr audit replay [--projection <name>]`, as `caller` (an API key with the audit
 * permission: only its tenant's rows are compared) or as the platform operator (`null`). Keeps the live projections moving while it
 * runs (safe next to a running worker: checkpoints are locked), so the live read models can reach
 * the replay's log position even when no worker is running. Progress bar on a TTY (stderr).
 */
export const runAuditReplay = async (
  runtime: MailpackrRuntime,
  values: { projection?: string | boolean },
  out: (line?: string) => void,
  caller: CliCaller | null,
  options: { progress?: boolean; waitTimeoutMs?: number } = {},
): Promise<number> => {
  if (caller) assertCliAllowed(caller, 'audit replay');
  const projection = typeof values.projection === 'string' ? values.projection : undefined;
  await runtime.projections.start();
  const showProgress = options.progress ?? Boolean(process.stderr.isTTY);
  const bar = showProgress
    ? new SingleBar({
        format: 'Audit replay {bar} {percentage}% | {events} events | {phase}',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  bar?.start(1000, 0, { events: 0, phase: 'replaying' });
  const audit = new AuditReplay({
    store: runtime.store,
    pool: runtime.pool,
    runner: runtime.projections,
  });
  let report: ReplayReport;
  try {
    report = await audit.run({
      projections: projection ? [projection] : undefined,
      tenantId: caller?.tenantId,
      waitTimeoutMs: options.waitTimeoutMs ?? DEFAULT_REPLAY_WAIT_MS,
      onProgress: (p) =>
        bar?.update(Math.round(p.fraction * 1000), { events: p.events, phase: p.phase }),
    });
  } catch (error) {
    bar?.stop();
    if (error instanceof AuditReplayError) {
      out(`${error.code}: ${error.message}`);
      return AUDIT_REPLAY_EXIT.failed;
    }
    throw error;
  }
  bar?.update(1000, { phase: 'done' });
  bar?.stop();
  for (const line of formatReplayReport(report)) out(line);
  return report.match ? AUDIT_REPLAY_EXIT.match : AUDIT_REPLAY_EXIT.difference;
};
