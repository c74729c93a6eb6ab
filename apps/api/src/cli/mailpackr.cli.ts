import 'reflect-metadata';

import { parseArgs } from 'node:util';

import { isDomainError, isTenantPlan } from '#domain';

import { ConfigError, ContactsCsvError, MailpackrRuntime, loadConfig } from '#platform';

import { CliAccessError, cliCaller, cliCredentials, hasCliCredentials } from './cli-caller.js';
import { RECIPIENT_COMMANDS, UsageError, runRecipientCommand } from './recipient.commands.js';
import { AUDIT_USAGE, isAuditCommand, runAuditCommand } from './audit.commands.js';
import { runBillingCommand } from './billing.commands.js';
import {
  SESSION_USAGE,
  isSessionCommand,
  readPassword,
  runSessionCommand,
} from './session.commands.js';
import { isPrivacyError } from '#privacy';

const USAGE = `MailPackr operator CLI

Usage:
  mailpackr tenant create <name> [--plan <plan id>, default free]
                                 [--owner-email <address>] [--owner-name <name>]
      Creates a tenant and prints its first owner API key (shown once).
  mailpackr tenant plan <tenant id> <plan id>
      Moves a tenant to another plan of the catalogue (a SubscriptionPlanChanged event).
  mailpackr tenant time-zone <tenant id> <IANA zone>
      The time zone whose calendar months the tenant's usage counters follow (default UTC).
  mailpackr tenant over-quota <tenant id> refuse|pause
      A launch over what is left of the month's quota: refused (default), or sent up to the
      quota and paused (resume it once the quota has room).
  mailpackr plans list
  mailpackr plans define <plan id> --name <name> [--messages <n|unlimited>]
                         [--contacts <n|unlimited>] [--api-keys <n|unlimited>] [--price <ref>]
      Adds a plan to the catalogue or replaces one (limits not given: unlimited).
  mailpackr plans retire <plan id>     New tenants can no longer take it.
  mailpackr projections status       How far each read model is behind the event log.
  mailpackr projections rebuild <name>
      Rebuilds a read model from the first event into fresh tables, then switches atomically.

Tenant commands run as the API key in MAILPACKR_API_KEY, or as the login session in
MAILPACKR_SESSION_TOKEN (see login below): its tenant, its role (the README's permission matrix).
--tenant is optional and, when given, must be the key's or the session's tenant.
  mailpackr import <file.csv> --list <id> [--map email=<col>,name=<col>,...] [--errors <file>]
      Imports contacts into a list (streaming, with a progress bar); prints the counts and
      every invalid row with its line number (or writes them to --errors as CSV).
  mailpackr erase (--email <address> | --recipient <id>)
                  [--basis gdpr_art17|ccpa_delete|tenant_request|child_under_13] [--reference <ref>]
      Erases a recipient and prints the erasure receipt (JSON). Idempotent.
  mailpackr export (--email <address> | --recipient <id>) [--format json|csv] [--out <file>]
      Everything held about one recipient (access and portability requests).
  mailpackr restrict | lift-restriction | object (--email <address> | --recipient <id>)
      Restriction of processing (GDPR Art. 18) and objection (Art. 21): excluded from all sending.
  mailpackr requests [--status open|completed|rejected]
      Data-subject requests with their due dates (open ones first by due date).
  Every data-subject command takes [--request <id>] to complete a request logged earlier (otherwise
  it records its own) and [--regulation gdpr|ccpa] [--reference <ticket>].
  mailpackr retention set --kind unsubscribed_recipients|inactive_recipients|delivery_details
                          --days <1..3650|off>
  mailpackr retention run
      Applies retention policies now (the worker also runs them every MAILPACKR_RETENTION_INTERVAL_MINUTES).
      Without MAILPACKR_API_KEY the platform operator runs them for every tenant.
  mailpackr account export [--out <file>]
  mailpackr account erase --account <id> [--basis gdpr_art17|ccpa_delete|child_under_13]
      The account holder's own data (MailPackr is its controller).

${SESSION_USAGE}

Exit codes: 0 done, 1 error, 2 usage, 3 a check found a problem, 4 not allowed (key, session or role).

${AUDIT_USAGE}

Configuration comes from the environment, as for \`npm start\` (see README).
`;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

const run = async (argv: string[]): Promise<number> => {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      plan: { type: 'string' },
      name: { type: 'string' },
      messages: { type: 'string' },
      contacts: { type: 'string' },
      'api-keys': { type: 'string' },
      price: { type: 'string' },
      'owner-email': { type: 'string' },
      'owner-name': { type: 'string' },
      stream: { type: 'string' },
      tenant: { type: 'string' },
      list: { type: 'string' },
      map: { type: 'string' },
      errors: { type: 'string' },
      email: { type: 'string' },
      recipient: { type: 'string' },
      basis: { type: 'string' },
      reference: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      kind: { type: 'string' },
      request: { type: 'string' },
      regulation: { type: 'string' },
      status: { type: 'string' },
      days: { type: 'string' },
      account: { type: 'string' },
      // audit verify / export
      from: { type: 'string' },
      to: { type: 'string' },
      'no-seal': { type: 'boolean' },
      anchor: { type: 'string' },
      // audit replay
      projection: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || !group) {
    out(USAGE);
    return 0;
  }
  const known = [
    'tenant create',
    'tenant plan',
    'tenant time-zone',
    'tenant over-quota',
    'plans list',
    'plans define',
    'plans retire',
    'projections status',
    'projections rebuild',
  ];
  const recipientCommand = RECIPIENT_COMMANDS.find((c) => c === group);
  // Every `audit <verify|erasures|export|replay>` goes through audit.commands.ts.
  const auditCommand = group === 'audit' && isAuditCommand(action) ? action : undefined;
  const sessionCommand = isSessionCommand(group) && action === undefined ? group : undefined;
  if (
    !recipientCommand &&
    !auditCommand &&
    !sessionCommand &&
    !known.includes(`${group} ${action}`)
  )
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);

  const runtime = await MailpackrRuntime.start(loadConfig());
  try {
    if (sessionCommand) {
      return await runSessionCommand(
        runtime,
        sessionCommand,
        values,
        { out, info: (line) => void process.stderr.write(`${line}\n`), password: readPassword },
        { sessionToken: cliCredentials(runtime).sessionToken },
      );
    }
    if (recipientCommand) {
      // Read your own writes: keep the read models moving while the command runs (safe next to
      // a running worker: projection checkpoints are locked).
      await runtime.projections.start();
      const credentials = cliCredentials(runtime);
      const operatorRun =
        recipientCommand === 'retention' && action === 'run' && !hasCliCredentials(credentials);
      return await runRecipientCommand(
        runtime,
        recipientCommand,
        positionals.slice(1),
        values,
        out,
        operatorRun ? null : await cliCaller(runtime, credentials, values.tenant),
      );
    }
    if (group === 'tenant' || group === 'plans') {
      const done = await runBillingCommand(runtime, `${group} ${action}`, rest, values, out);
      if (done !== undefined) return done;
    }
    if (group === 'tenant') {
      const name = rest.join(' ').trim();
      if (!name) throw new UsageError('tenant create needs a name');
      const plan = values.plan ?? 'free';
      if (!isTenantPlan(plan)) throw new UsageError(`Unknown plan: ${String(plan)}`);
      const email = values['owner-email'];
      const created = await runtime.tenants.createTenant({
        name,
        plan,
        owner: email ? { email, name: values['owner-name'] ?? null } : undefined,
        actor: 'operator:cli',
      });
      await runtime.projections.catchUp(['tenants', 'api-keys']);
      out(`Tenant created: ${created.tenantId}`);
      out(`Owner API key (shown once, store it now): ${created.apiKey}`);
      return 0;
    }
    if (group === 'projections' && action === 'status') {
      for (const lag of await runtime.projections.lag()) {
        out(
          `${lag.name.padEnd(16)} ${String(lag.eventsBehind).padStart(7)} behind   checkpoint ${lag.checkpoint ?? '-'}`,
        );
      }
      return 0;
    }
    if (group === 'projections' && action === 'rebuild') {
      const name = rest[0];
      if (!name) throw new UsageError('projections rebuild needs a projection name');
      const result = await runtime.projections.rebuild(name);
      out(`Rebuilt ${name}: ${result.events} events in ${result.ms} ms`);
      return 0;
    }
    if (auditCommand) {
      const credentials = cliCredentials(runtime);
      const caller = hasCliCredentials(credentials)
        ? await cliCaller(runtime, credentials, values.tenant)
        : null;
      return await runAuditCommand(runtime, auditCommand, values, out, caller);
    }
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  } finally {
    await runtime.close();
  }
};

run(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof CliAccessError) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      process.exit(4);
    }
    const typed =
      error instanceof ConfigError ||
      error instanceof ContactsCsvError ||
      isDomainError(error) ||
      isPrivacyError(error);
    process.stderr.write(
      `${typed ? `${(error as { code: string }).code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
