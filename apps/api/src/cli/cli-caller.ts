import { type ApiKeyRole, isApiKeyRole, roleCan } from '#domain';
import { type MailpackrRuntime, hashApiKey } from '#platform';
import { ApiKeyEntity } from '#projections';

import { CLI_PERMISSIONS } from '../auth/operation-permissions.js';

/** Who runs a tenant-scoped CLI command: one API key of one tenant, as for the API. */
export interface CliCaller {
  tenantId: string;
  apiKeyId: string;
  role: ApiKeyRole;
  /** Recorded on every event the command appends. */
  actor: string;
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

/**
 * The caller from `MAILPACKR_API_KEY`. The tenant comes from the key; a `--tenant` given as well
 * must be the same tenant (a guard against running a command on the wrong tenant).
 */
export const cliCaller = async (
  runtime: MailpackrRuntime,
  apiKey: string | undefined,
  tenantOption: unknown,
): Promise<CliCaller> => {
  if (!apiKey)
    throw new CliAccessError(
      'UNAUTHENTICATED',
      'Set MAILPACKR_API_KEY to an API key of the tenant (the command runs with its role)',
    );
  await runtime.projections.catchUp(['api-keys']);
  const key = await runtime.readModels
    .getRepository(ApiKeyEntity)
    .findOne({ where: { keyHash: hashApiKey(apiKey) } });
  if (!key || key.revokedAt || !isApiKeyRole(key.role))
    throw new CliAccessError('UNAUTHENTICATED', 'MAILPACKR_API_KEY is unknown or revoked');
  if (typeof tenantOption === 'string' && tenantOption !== key.tenantId)
    throw new CliAccessError('FORBIDDEN', '--tenant is not the tenant of MAILPACKR_API_KEY');
  return {
    tenantId: key.tenantId,
    apiKeyId: key.keyId,
    role: key.role,
    actor: `cli:api-key:${key.keyId}`,
  };
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
