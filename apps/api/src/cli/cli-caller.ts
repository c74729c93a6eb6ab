import { type ApiKeyRole, isApiKeyRole, roleCan } from '#domain';
import { type MailpackrRuntime, hashApiKey } from '#platform';
import { ApiKeyEntity } from '#projections';

import { CLI_PERMISSIONS } from '../auth/operation-permissions.js';

/** Who runs a tenant-scoped CLI command: an API key of one tenant, or a person's login session. */
export interface CliCaller {
  tenantId: string;
  role: ApiKeyRole;
  /** Recorded on every event the command appends: `cli:api-key:<id>` or `cli:account:<id>`. */
  actor: string;
}

/** What the CLI was given to run as (`MAILPACKR_API_KEY` or `MAILPACKR_SESSION_TOKEN`). */
export interface CliCredentials {
  apiKey?: string;
  sessionToken?: string;
}

/** A CLI command refused for who runs it (exit code 4). */
export class CliAccessError extends Error {
  constructor(
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
    this.name = 'CliAccessError';
  }
}

/** The credentials a CLI process was started with (its configuration, from the environment). */
export const cliCredentials = (runtime: MailpackrRuntime): CliCredentials => ({
  apiKey: runtime.config.MAILPACKR_API_KEY,
  sessionToken: runtime.config.MAILPACKR_SESSION_TOKEN,
});

/** Whether any credentials were given (without them, some operator commands run for all tenants). */
export const hasCliCredentials = ({ apiKey, sessionToken }: CliCredentials): boolean =>
  Boolean(apiKey || sessionToken);

/**
 * The caller from `MAILPACKR_API_KEY` or `MAILPACKR_SESSION_TOKEN` (exactly one). The tenant and the
 * role come from the key or the session (the account's role now, as for the API); a `--tenant`
 * given as well must be the same tenant (a guard against running a command on the wrong tenant).
 */
export const cliCaller = async (
  runtime: MailpackrRuntime,
  credentials: CliCredentials,
  tenantOption: unknown,
  now: Date = new Date(),
): Promise<CliCaller> => {
  const { apiKey, sessionToken } = credentials;
  if (apiKey && sessionToken)
    throw new CliAccessError(
      'UNAUTHENTICATED',
      'Set MAILPACKR_API_KEY or MAILPACKR_SESSION_TOKEN, not both',
    );
  if (!apiKey && !sessionToken)
    throw new CliAccessError(
      'UNAUTHENTICATED',
      'Set MAILPACKR_API_KEY to an API key of the tenant, or MAILPACKR_SESSION_TOKEN to a session from ' +
        'mailpackr login (the command runs with its role)',
    );
  const caller = sessionToken
    ? await sessionCaller(runtime, sessionToken, now)
    : await apiKeyCaller(runtime, apiKey!);
  if (typeof tenantOption === 'string' && tenantOption !== caller.tenantId)
    throw new CliAccessError(
      'FORBIDDEN',
      `--tenant is not the tenant of ${sessionToken ? 'MAILPACKR_SESSION_TOKEN' : 'MAILPACKR_API_KEY'}`,
    );
  return caller;
};

const apiKeyCaller = async (runtime: MailpackrRuntime, apiKey: string): Promise<CliCaller> => {
  await runtime.projections.catchUp(['api-keys']);
  const key = await runtime.readModels
    .getRepository(ApiKeyEntity)
    .findOne({ where: { keyHash: hashApiKey(apiKey) } });
  if (!key || key.revokedAt || !isApiKeyRole(key.role))
    throw new CliAccessError('UNAUTHENTICATED', 'MAILPACKR_API_KEY is unknown or revoked');
  return { tenantId: key.tenantId, role: key.role, actor: `cli:api-key:${key.keyId}` };
};

/** The API's session check, with the same outcomes (and the idle expiry slid the same way). */
const sessionCaller = async (
  runtime: MailpackrRuntime,
  token: string,
  now: Date,
): Promise<CliCaller> => {
  // The role is read from the accounts read model: current, a role change just made included.
  await runtime.projections.catchUp(['accounts']);
  const checked = await runtime.sessions.check(token, now);
  switch (checked.status) {
    case 'active':
      return {
        tenantId: checked.tenantId,
        role: checked.role,
        actor: `cli:account:${checked.accountId}`,
      };
    case 'expired':
      throw new CliAccessError(
        'UNAUTHENTICATED',
        'The session in MAILPACKR_SESSION_TOKEN has expired: log in again (mailpackr login)',
      );
    case 'revoked':
      throw new CliAccessError(
        'UNAUTHENTICATED',
        'The session in MAILPACKR_SESSION_TOKEN was ended: log in again (mailpackr login)',
      );
    case 'unknown':
      throw new CliAccessError(
        'UNAUTHENTICATED',
        'MAILPACKR_SESSION_TOKEN is not an open session: log in with mailpackr login',
      );
  }
};

/** Throws `FORBIDDEN` unless the caller's role holds the permission the command needs. */
export const assertCliAllowed = (caller: CliCaller, command: string): void => {
  const needed = CLI_PERMISSIONS[command];
  if (!needed) throw new CliAccessError('FORBIDDEN', `mailpackr ${command} declares no permission`);
  if (!roleCan(caller.role, needed))
    throw new CliAccessError(
      'FORBIDDEN',
      `The ${caller.role} role cannot run mailpackr ${command} (needs the ${needed} permission)`,
    );
};
