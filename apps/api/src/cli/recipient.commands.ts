import { createReadStream, createWriteStream, existsSync, writeFileSync } from 'node:fs';

import { SingleBar } from 'cli-progress';

import {
  ERASURE_BASES,
  RETENTION_POLICY_KINDS,
  type ErasureBasis,
  isRetentionPolicyKind,
  isUuid,
  tenantDecider,
  toTenantStreamId,
} from '#domain';
import {
  type ContactsCsvMapping,
  type MailpackrRuntime,
  csvRecord,
  exportRecipient,
  keepHeapNearLive,
  recipientExportRows,
  toCsv,
} from '#platform';
import { PrivacyRequestEntity } from '#projections';

import { type CliCaller, assertCliAllowed } from './cli-caller.js';

export class UsageError extends Error {}

export const RECIPIENT_COMMANDS = [
  'import',
  'erase',
  'export',
  'restrict',
  'lift-restriction',
  'object',
  'requests',
  'retention',
  'account',
] as const;

const SUBJECT_COMMANDS = {
  restrict: { command: 'RestrictRecipient', outcome: 'restricted' },
  'lift-restriction': { command: 'LiftRestriction', outcome: 'restriction_lifted' },
  object: { command: 'ObjectToProcessing', outcome: 'objected' },
} as const;

const requestOption = (values: Values): string | undefined =>
  typeof values.request === 'string' ? uuidOption(values, 'request') : undefined;
export type RecipientCommandName = (typeof RECIPIENT_COMMANDS)[number];

type Values = Record<string, string | boolean | undefined>;

const required = (values: Values, name: string): string => {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`--${name} is required`);
  return value.trim();
};

const uuidOption = (values: Values, name: string): string => {
  const value = required(values, name);
  if (!isUuid(value)) throw new UsageError(`--${name} must be a UUID`);
  return value;
};

/** `email=E-mail,name=Full name,attributes=rest` → a mapping of CSV headers. */
export const parseMapping = (text: string | undefined): ContactsCsvMapping | undefined => {
  if (!text) return undefined;
  const mapping: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [key, ...header] = pair.split('=');
    const field = key?.trim();
    if (
      !field ||
      !['email', 'name', 'firstName', 'lastName'].includes(field) ||
      header.length === 0
    ) {
      throw new UsageError(
        `--map takes email=<header>,name=<header>,firstName=…,lastName=…; got "${pair}"`,
      );
    }
    mapping[field] = header.join('=').trim();
  }
  return mapping;
};

/** The name a command's permission is declared under: `erase`, `retention set`… */
const permissionName = (command: RecipientCommandName, args: readonly string[]): string =>
  command === 'retention' || command === 'account' ? `${command} ${args[0] ?? ''}` : command;

/**
 * Support-staff commands on recipients, run as `caller` (its tenant and role; `null` is the
 * platform operator, for `retention run` over every tenant only). Prints results on `out`;
 * returns the exit code.
 */
export const runRecipientCommand = async (
  runtime: MailpackrRuntime,
  command: RecipientCommandName,
  args: readonly string[],
  values: Values,
  out: (line?: string) => void,
  caller: CliCaller | null,
): Promise<number> => {
  if (command === 'retention' && args[0] !== 'set' && args[0] !== 'run')
    throw new UsageError('retention takes run or set');
  if (command === 'account' && args[0] !== 'export' && args[0] !== 'erase')
    throw new UsageError('account takes export or erase');
  if (caller) assertCliAllowed(caller, permissionName(command, args));
  else if (command !== 'retention' || args[0] !== 'run')
    throw new UsageError('Only `retention run` runs without MAILPACKR_API_KEY');
  if (command === 'retention') return runRetention(runtime, args, values, out, caller);
  const { tenantId, actor } = caller!;
  if (command === 'account') return runAccount(runtime, caller!, args, values, out);
  const context = { tenantId, actor };
  const now = new Date();
  const target = async (): Promise<string> => {
    if (typeof values.recipient === 'string') return uuidOption(values, 'recipient');
    const email = required(values, 'email');
    const id = await runtime.audience.findByEmail(tenantId, email);
    if (!id) throw new UsageError('No recipient of this tenant has that address');
    return id;
  };

  if (command === 'import') {
    const file = args[0];
    if (!file) throw new UsageError('import needs a CSV file');
    if (!existsSync(file)) throw new UsageError(`No such file: ${file}`);
    const listId = uuidOption(values, 'list');
    const errorsFile =
      typeof values.errors === 'string' ? createWriteStream(values.errors) : undefined;
    errorsFile?.write(csvRecord(['line', 'reason']));
    const bar = new SingleBar({
      format:
        'Importing {bar} {percentage}% | {value}/{total} bytes | {rows} rows | {added} added | {invalid} invalid',
      hideCursor: true,
      stream: process.stderr,
    });
    let bytes = 0;
    const counted = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of createReadStream(file)) {
        bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    };
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
    keepHeapNearLive(); // memory flat and small however large the file (this process runs only the import)
    bar.start(size, 0, { rows: 0, added: 0, invalid: 0 });
    const report = await runtime.contactImport.run({
      context,
      listId,
      source: counted(),
      mapping: parseMapping(values.map as string | undefined),
      onProgress: (p) => bar.update(bytes, { rows: p.rows, added: p.added, invalid: p.invalid }),
      onInvalid: errorsFile
        ? (p) => errorsFile.write(csvRecord([String(p.line), p.reason]))
        : undefined,
    });
    bar.update(size);
    bar.stop();
    if (errorsFile) await new Promise((resolve) => errorsFile.end(resolve));
    await runtime.audience.waitForReadModels(report.position);
    out(
      `Imported ${report.rows} rows in ${report.durationMs} ms: ${report.added} added, ${report.updated} updated, ` +
        `${report.skipped.total} skipped (${report.skipped.duplicate} duplicate, ${report.skipped.unchanged} unchanged, ` +
        `${report.skipped.suppressed} suppressed, ${report.skipped.erased} erased, ${report.skipped.unsubscribed} left the list, ` +
        `${report.skipped.objected} objected, ${report.skipped.restricted} restricted), ${report.invalid} invalid`,
    );
    if (!errorsFile) for (const p of report.problems) out(`  line ${p.line}: ${p.reason}`);
    if (!errorsFile && report.invalid > report.problems.length) {
      out(`  … and ${report.invalid - report.problems.length} more (use --errors <file>)`);
    }
    return 0;
  }

  if (command === 'erase') {
    const basis = (typeof values.basis === 'string' ? values.basis : 'gdpr_art17') as ErasureBasis;
    if (!ERASURE_BASES.includes(basis) || basis === 'retention') {
      throw new UsageError(
        `--basis must be one of ${ERASURE_BASES.filter((b) => b !== 'retention').join(', ')}`,
      );
    }
    const recipientId = await target();
    const reference = typeof values.reference === 'string' ? values.reference : null;
    const { receipt, alreadyErased } = await runtime.privacyRequests.track(
      context,
      {
        requestId: requestOption(values),
        kind: basis === 'child_under_13' ? 'child' : 'erasure',
        regulation: basis === 'ccpa_delete' ? 'ccpa' : 'gdpr',
        subjectType: 'recipient',
        subjectId: () => recipientId,
        reference,
      },
      'erased',
      now,
      (requestId) =>
        runtime.audience.erase(context, { recipientId, basis, reference, requestId, now }),
    );
    if (alreadyErased) out('Already erased: the first receipt follows.');
    out(JSON.stringify(receipt, null, 2));
    return 0;
  }

  if (command === 'requests') {
    const status = typeof values.status === 'string' ? values.status : 'open';
    const rows = await runtime.tenantReads.read(tenantId, (scope) =>
      scope.find(PrivacyRequestEntity, {
        where: { status: status as 'open' },
        order: { dueAt: 'ASC' },
        take: 500,
      }),
    );
    if (rows.length === 0) out(`No ${status} privacy requests.`);
    for (const r of rows) {
      const overdue = r.status === 'open' && r.dueAt < now ? '  OVERDUE' : '';
      out(
        `${r.requestId}  ${r.kind.padEnd(13)} ${r.regulation.toUpperCase()}  received ${r.receivedAt.toISOString()}  due ${r.dueAt.toISOString()}  ${r.status}${r.outcome ? ` (${r.outcome})` : ''}${overdue}`,
      );
    }
    return 0;
  }

  const recipientId = await target();
  if (command === 'restrict' || command === 'lift-restriction' || command === 'object') {
    const type = SUBJECT_COMMANDS[command];
    const result = await runtime.privacyRequests.track(
      context,
      {
        requestId: requestOption(values),
        kind: command === 'object' ? 'objection' : 'restriction',
        regulation: values.regulation === 'ccpa' ? 'ccpa' : 'gdpr',
        subjectType: 'recipient',
        subjectId: () => recipientId,
        reference: typeof values.reference === 'string' ? values.reference : null,
      },
      type.outcome,
      now,
      (requestId) =>
        runtime.audience.execute(context, {
          type: type.command,
          data: { recipientId, tenantId, requestId },
          metadata: { now },
        }),
    );
    // Read your own writes, as the GraphQL mutations do: what support reads next shows it.
    await runtime.audience.waitForReadModels(result.position);
    out(
      result.events.length === 0
        ? `Recipient ${recipientId}: nothing to change (${type.outcome} already)`
        : `Recipient ${recipientId}: ${type.outcome}`,
    );
    return 0;
  }
  const doc = await runtime.privacyRequests.track(
    context,
    {
      requestId: requestOption(values),
      kind: 'access',
      regulation: values.regulation === 'ccpa' ? 'ccpa' : 'gdpr',
      subjectType: 'recipient',
      subjectId: () => recipientId,
      reference: typeof values.reference === 'string' ? values.reference : null,
    },
    'exported',
    now,
    () => exportRecipient(runtime, tenantId, recipientId, now),
  );
  const format = typeof values.format === 'string' ? values.format : 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError('--format is json or csv');
  const text =
    format === 'json'
      ? `${JSON.stringify(doc, null, 2)}\n`
      : toCsv(['section', 'key', 'value'], recipientExportRows(doc));
  if (typeof values.out === 'string') {
    writeFileSync(values.out, text, { mode: 0o600 });
    out(`Export written to ${values.out}`);
  } else {
    process.stdout.write(text);
  }
  return 0;
};

const runRetention = async (
  runtime: MailpackrRuntime,
  args: readonly string[],
  values: Values,
  out: (line?: string) => void,
  caller: CliCaller | null,
): Promise<number> => {
  const [action] = args;
  if (action === 'set' && caller) {
    const { tenantId, actor } = caller;
    const kind = required(values, 'kind');
    if (!isRetentionPolicyKind(kind)) {
      throw new UsageError(`--kind must be one of ${RETENTION_POLICY_KINDS.join(', ')}`);
    }
    const daysText = required(values, 'days');
    const days = daysText === 'off' ? null : Number(daysText);
    await runtime.commands.handle(
      toTenantStreamId(tenantId),
      tenantDecider,
      { type: 'SetRetentionPolicy', data: { tenantId, kind, days }, metadata: { now: new Date() } },
      { tenantId, actor },
    );
    out(
      days === null ? `Retention policy ${kind} removed` : `Retention policy ${kind}: ${days} days`,
    );
    return 0;
  }
  // With a key: that key's tenant; without (the platform operator): every tenant.
  const reports = await runtime.retention.run({ now: new Date(), tenantId: caller?.tenantId });
  if (reports.length === 0) out('No tenant has a retention policy.');
  for (const r of reports) {
    const detail = r.policies.map((p) => `${p.kind} ${p.days}d: ${p.removed} removed`).join(', ');
    out(
      `Tenant ${r.tenantId}: run ${r.runId}, ${r.recipientsErased} recipients erased (${detail})`,
    );
  }
  return 0;
};

const runAccount = async (
  runtime: MailpackrRuntime,
  { tenantId, actor }: CliCaller,
  args: readonly string[],
  values: Values,
  out: (line?: string) => void,
): Promise<number> => {
  const [action] = args;
  const now = new Date();
  if (action === 'export') {
    const text = `${JSON.stringify(await runtime.accounts.export(tenantId, now), null, 2)}\n`;
    if (typeof values.out === 'string') {
      writeFileSync(values.out, text, { mode: 0o600 });
      out(`Export written to ${values.out}`);
    } else process.stdout.write(text);
    return 0;
  }
  const basis = typeof values.basis === 'string' ? values.basis : 'gdpr_art17';
  if (basis !== 'gdpr_art17' && basis !== 'ccpa_delete' && basis !== 'child_under_13') {
    throw new UsageError('--basis must be gdpr_art17, ccpa_delete or child_under_13');
  }
  const erased = await runtime.accounts.erase(
    { tenantId, actor },
    { accountId: uuidOption(values, 'account'), basis, now },
  );
  out(
    erased.alreadyErased
      ? `Account ${erased.accountId} was already erased at ${erased.erasedAt}`
      : `Account ${erased.accountId} erased at ${erased.erasedAt}`,
  );
  return 0;
};
