import { createHash, randomBytes, randomUUID } from 'node:crypto';

import {
  type ApiKeyRole,
  type TenantOwner,
  type TenantPlan,
  tenantDecider,
  toTenantStreamId,
} from '#domain';
import type { Position } from '#event-store';

import type { CommandExecutor } from './command-executor.js';

export const API_KEY_PREFIX = 'mpk_';

/** A new API key: a long random secret. Only its SHA-256 is ever stored. */
export const generateApiKey = (): string =>
  `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

export const hashApiKey = (apiKey: string): string =>
  createHash('sha256').update(apiKey, 'utf8').digest('hex');

export interface CreatedTenant {
  tenantId: string;
  apiKeyId: string;
  /** The owner's API key, in plaintext: shown once, never stored. */
  apiKey: string;
  position?: Position;
}

/**
 * Tenants and their API keys: created by the platform operator (CLI, first start); keys are also
 * managed by the tenant's owners and admins through the API (`byRole` is then the caller's role).
 */
export class TenantAdministration {
  constructor(
    private readonly executor: CommandExecutor,
    /** The plan catalogue and each tenant's plan limits (`Billing`). */
    private readonly plans?: {
      plans(): Promise<ReadonlyArray<{ planId: string }>>;
      maxApiKeys(tenantId: string): Promise<number | null>;
    },
  ) {}

  async createTenant(input: {
    name: string;
    plan?: TenantPlan;
    owner?: Omit<TenantOwner, 'accountId'>;
    apiKey?: string;
    actor: string;
    now?: Date;
  }): Promise<CreatedTenant> {
    const tenantId = randomUUID();
    const now = input.now ?? new Date();
    const context = { tenantId, actor: input.actor };
    const availablePlans = (await this.plans?.plans())?.map((p) => p.planId);
    await this.executor.handle(
      toTenantStreamId(tenantId),
      tenantDecider,
      {
        type: 'CreateTenant',
        data: {
          tenantId,
          name: input.name,
          plan: input.plan ?? 'free',
          ...(availablePlans ? { availablePlans } : {}),
          owner: input.owner ? { accountId: randomUUID(), ...input.owner } : undefined,
        },
        metadata: { now },
      },
      context,
    );
    const issued = await this.issueApiKey({
      tenantId,
      role: 'owner',
      label: 'First owner key',
      apiKey: input.apiKey,
      actor: input.actor,
      now,
      withinPlan: false,
    });
    return { tenantId, ...issued };
  }

  async issueApiKey(input: {
    tenantId: string;
    role: ApiKeyRole;
    label: string;
    apiKey?: string;
    actor: string;
    byRole?: ApiKeyRole;
    /** The account issuing the key from its session: the key is that account's. */
    accountId?: string;
    now?: Date;
    /** false: not counted against the plan's key limit (the tenant's first owner key). */
    withinPlan?: boolean;
  }): Promise<{ apiKeyId: string; apiKey: string; position?: Position }> {
    const apiKey = input.apiKey ?? generateApiKey();
    const apiKeyId = randomUUID();
    const maxApiKeys =
      input.withinPlan === false ? null : ((await this.plans?.maxApiKeys(input.tenantId)) ?? null);
    const result = await this.executor.handle(
      toTenantStreamId(input.tenantId),
      tenantDecider,
      {
        type: 'IssueApiKey',
        data: {
          tenantId: input.tenantId,
          keyId: apiKeyId,
          keyHash: hashApiKey(apiKey),
          role: input.role,
          label: input.label,
          byRole: input.byRole,
          maxApiKeys,
          ...(input.accountId ? { accountId: input.accountId } : {}),
        },
        metadata: { now: input.now ?? new Date() },
      },
      { tenantId: input.tenantId, actor: input.actor },
    );
    return { apiKeyId, apiKey, position: result.position };
  }

  /** Revokes a key (idempotent); the last working owner key is never revoked. */
  revokeApiKey(input: {
    tenantId: string;
    keyId: string;
    actor: string;
    byRole?: ApiKeyRole;
    now?: Date;
  }): Promise<{ position?: Position }> {
    const { tenantId, keyId, byRole } = input;
    return this.executor.handle(
      toTenantStreamId(tenantId),
      tenantDecider,
      {
        type: 'RevokeApiKey',
        data: { tenantId, keyId, byRole },
        metadata: { now: input.now ?? new Date() },
      },
      { tenantId, actor: input.actor },
    );
  }

  /** A role change is an `ApiKeyRoleChanged` event; the key's next request has the new role. */
  changeApiKeyRole(input: {
    tenantId: string;
    keyId: string;
    role: ApiKeyRole;
    actor: string;
    byRole?: ApiKeyRole;
    now?: Date;
  }): Promise<{ position?: Position }> {
    const { tenantId, keyId, role, byRole } = input;
    return this.executor.handle(
      toTenantStreamId(tenantId),
      tenantDecider,
      {
        type: 'ChangeApiKeyRole',
        data: { tenantId, keyId, role, byRole },
        metadata: { now: input.now ?? new Date() },
      },
      { tenantId, actor: input.actor },
    );
  }
}
