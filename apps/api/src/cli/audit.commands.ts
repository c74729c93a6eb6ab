import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

import { SingleBar } from 'cli-progress';

import { isUuid } from '#domain';
import { type ChainVerification, type LogSeal, formatPosition } from '#event-store';
import {
  ERASURE_AUDITED_TABLES,
  ErasureAudit,
  type ErasureAuditEntry,
  type MailpackrRuntime,
  exportHistory,
} from '#platform';

import { AUDIT_REPLAY_USAGE, runAuditReplay } from './audit-replay.command.js';
import { type CliCaller, CliAccessError, assertCliAllowed } from './cli-caller.js';
import { UsageError } from './recipient.commands.js';

/**
 * `mailpackr audit …`: the auditor's tools. Every `audit` subcommand is dispatched from here
 * (`runAuditCommand`); `replay` lives in audit-replay.command.ts. Output holds ids, positions,
 * hashes and counts only, never personal data, except the decrypted `audit export` itself.
 */

export const AUDIT_COMMANDS = ['verify', 'erasures', 'export', 'replay'] as const;
export type AuditCommandName = (typeof AUDIT_COMMANDS)[number];

export const isAuditCommand = (action: string | undefined): action is AuditCommandName =>
  (AUDIT_COMMANDS as readonly string[]).includes(action ?? '');

/** Exit codes: 0 intact / no problem, 3 a broken link or an erasure problem (1: failure, 2: usage). */
export const AUDIT_EXIT = { ok: 0, findings: 3 } as const;

export const AUDIT_USAGE = `Auditors (read the history, change nothing but the log seals). With MAILPACKR_API_KEY or
MAILPACKR_SESSION_TOKEN set (a role holding the audit permission) every audit command is scoped to
its tenant; without them verify, erasures and replay cover every tenant (operators); export always
needs a key or a session.
  mailpackr audit verify [--tenant <id>] [--from <ISO time>] [--to <ISO time>] [--stream <id>] [--no-seal]
                         [--anchor <seal hash>]
      Walks the log (all of it, a tenant's part, a time range or one stream) and checks every
      event's hash chain, revisions, log positions and recorded times, the stream heads and the log
      seals; prints the first broken link. A whole-log run then seals the log up to its last event:
      keep the printed seal hash outside the database and pass it as --anchor next time (a seal
      removed from the end shows only that way). Exit code 0 intact, 3 broken.
  mailpackr audit erasures [--tenant <id>]
      For every erased recipient and account: the data key is gone from the vault, no personal
      field of its history decrypts, no read model holds its personal data, and its erasure
      receipt is intact. Exit code 0 when all are, 3 otherwise.
  mailpackr audit export --tenant <id> [--from <ISO time>] [--to <ISO time>] [--out <file>]
      The tenant's history as JSON Lines (position, stream, revision, type, time, metadata, data),
      personal fields decrypted, [erased] where the key was destroyed. Streams; to stdout by default.
${AUDIT_REPLAY_USAGE}`;

type Values = Record<string, string | boolean | undefined>;

const timeOption = (values: Values, name: 'from' | 'to'): Date | undefined => {
  const text = values[name];
  if (text === undefined) return undefined;
  const time = typeof text === 'string' ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--${name} must be an ISO-8601 time`);
  return time;
};

const tenantOption = (values: Values, required: boolean): string | undefined => {
  const tenant = values.tenant;
  if (tenant === undefined) {
    if (required) throw new UsageError('--tenant is required');
    return undefined;
  }
  if (typeof tenant !== 'string' || !isUuid(tenant))
    throw new UsageError('--tenant must be a UUID');
  return tenant;
};

const progressBar = (format: string): SingleBar | undefined =>
  process.stderr.isTTY
    ? new SingleBar({ format, hideCursor: true, stream: process.stderr, fps: 5 })
    : undefined;

const describeSeal = (seal: LogSeal): string =>
  `#${seal.sealId} at log position ${formatPosition(seal.position)} (${seal.events.toLocaleString('en-US')} events, ${seal.sealedAt}): ${seal.hash}`;

/** The verification as text (ids, positions and hashes only). */
export const formatVerification = (result: ChainVerification, ms: number): string[] => {
  const rate = ms > 0 ? Math.round((result.checked * 1000) / ms) : 0;
  const lines: string[] = [];
  const scope = `${result.checked.toLocaleString('en-US')} events in ${(result.streams ?? 0).toLocaleString('en-US')} streams`;
  if (result.ok) {
    lines.push(
      `Hash chain intact: ${scope} checked in ${(ms / 1000).toFixed(1)} s (${rate.toLocaleString('en-US')} events/s)` +
        `${result.complete === false ? ', stopped early' : ''}; checks: ${(result.checks ?? ['chain']).join(', ')}`,
    );
  } else {
    const b = result.firstBroken!;
    const where = [
      b.streamId ? `stream ${b.streamId}` : 'the log',
      b.revision !== undefined ? `revision ${b.revision}` : undefined,
      b.position ? `log position ${formatPosition(b.position)}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`HASH CHAIN BROKEN after ${scope} checked.`);
    lines.push(`First broken link: ${where}`);
    lines.push(`  ${b.code}: ${b.reason}`);
  }
  if (result.seals) {
    lines.push(`Log seals matched: ${result.seals.checked}`);
    if (result.seals.written) lines.push(`New log seal ${describeSeal(result.seals.written)}`);
    else if (result.seals.latest)
      lines.push(`Newest log seal ${describeSeal(result.seals.latest)}`);
  }
  return lines;
};

const formatErasure = (e: ErasureAuditEntry): string => {
  const head = `${e.ok ? 'ok     ' : 'PROBLEM'}  ${e.subjectType.padEnd(9)} ${e.subjectId}  tenant ${e.tenantId}  erased ${e.erasedAt}`;
  const receipt = e.receipt
    ? `  receipt ${e.receipt.receiptHash}${e.receipt.intact ? '' : ' (ALTERED)'}`
    : '';
  return e.ok ? `${head}${receipt}` : `${head}${receipt}\n         ${e.problems.join('; ')}`;
};

const write = (stream: Writable, text: string): Promise<void> | undefined =>
  stream.write(text) ? undefined : new Promise((resolve) => stream.once('drain', resolve));

/**
 * Runs `mailpackr audit <action>`; prints on `out`, returns the exit code. `caller`: the API key
 * the command runs as (its tenant scopes the command), or null for an operator run.
 */
export const runAuditCommand = async (
  runtime: MailpackrRuntime,
  action: AuditCommandName,
  values: Values,
  out: (line?: string) => void,
  caller: CliCaller | null,
): Promise<number> => {
  // `audit replay` (audit-replay.command.ts) checks its caller itself.
  if (action === 'replay') return runAuditReplay(runtime, values, out, caller);
  if (caller) {
    assertCliAllowed(caller, `audit ${action}`);
    values = { ...values, tenant: caller.tenantId };
  } else if (action === 'export') {
    throw new CliAccessError(
      'UNAUTHENTICATED',
      'audit export decrypts personal data: set MAILPACKR_API_KEY (or MAILPACKR_SESSION_TOKEN) to a key (or session) of the tenant with the audit permission',
    );
  }

  if (action === 'verify') {
    const tenantId = tenantOption(values, false);
    const since = timeOption(values, 'from');
    const until = timeOption(values, 'to');
    const streamId = typeof values.stream === 'string' ? values.stream : undefined;
    const whole = !tenantId && !since && !until && !streamId;
    const bar = progressBar('Verifying {bar} {percentage}% | {checked} events checked');
    bar?.start(1, 0, { checked: 0 });
    const started = performance.now();
    const result = await runtime.store.verifyChain({
      tenantId,
      since,
      until,
      streamId,
      seal: whole && values['no-seal'] !== true,
      anchor: typeof values.anchor === 'string' ? values.anchor : undefined,
      onProgress: (p) => {
        const at = p.position ?? p.checked;
        if (p.total) bar?.setTotal(Math.max(p.total, at));
        bar?.update(at, { checked: p.checked.toLocaleString('en-US') });
      },
    });
    bar?.stop();
    for (const line of formatVerification(result, performance.now() - started)) out(line);
    return result.ok ? AUDIT_EXIT.ok : AUDIT_EXIT.findings;
  }

  if (action === 'erasures') {
    const tenantId = tenantOption(values, false);
    await runtime.projections.catchUp(['recipients', 'erasure-receipts', 'tenants', 'accounts']);
    const audit = new ErasureAudit({
      store: runtime.store,
      codec: runtime.codec,
      vault: runtime.vault,
      pool: runtime.pool,
      readModels: runtime.readModels,
    });
    let subjects = 0;
    let problems = 0;
    for await (const entry of audit.entries({ tenantId })) {
      subjects++;
      if (!entry.ok) problems++;
      out(formatErasure(entry));
    }
    out(
      `${subjects} erased subject(s) checked: ${subjects - problems} ok, ${problems} with problems` +
        ` (vault mp_subject_keys, the history, read models ${[...new Set(Object.values(ERASURE_AUDITED_TABLES).flat())].join(', ')})`,
    );
    return problems === 0 ? AUDIT_EXIT.ok : AUDIT_EXIT.findings;
  }

  const tenantId = tenantOption(values, true)!;
  const since = timeOption(values, 'from');
  const until = timeOption(values, 'to');
  const file = typeof values.out === 'string' ? values.out : undefined;
  const target: Writable = file ? createWriteStream(file, { mode: 0o600 }) : process.stdout;
  const bar = file
    ? progressBar('Exporting {bar} {percentage}% | {scanned} events read | {exported} exported')
    : undefined;
  const head = file ? await runtime.store.headPosition() : undefined;
  bar?.start(Math.max(1, Number(head?.prepare ?? 1n)), 0, { scanned: 0, exported: 0 });
  let exported = 0;
  for await (const line of exportHistory(
    { store: runtime.store, codec: runtime.codec, pool: runtime.pool },
    {
      tenantId,
      since,
      until,
      onProgress: (p) => bar?.update(p.scanned, p),
    },
  )) {
    exported++;
    await write(target, `${JSON.stringify(line)}\n`);
  }
  bar?.stop();
  if (file) {
    await new Promise<void>((resolve, reject) =>
      target.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    out(`Exported ${exported} events to ${file}`);
  }
  return AUDIT_EXIT.ok;
};
