import { randomUUID } from 'node:crypto';

import {
  type EraseAccount,
  type TenantEvent,
  TenantError,
  evolveAll,
  tenantDecider,
  toTenantStreamId,
} from '#domain';
import type { Position } from '#event-store';
import type { PersonalDataVault } from '#privacy';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from '#projections';

import type { CommandContext, CommandExecutor } from '../commands/command-executor.js';

/** Everything MailPackr (as controller) holds about a tenant's account holder. */
export interface AccountExport {
  format: 'mailpackr.account-export.v1';
  generatedAt: string;
  account: { id: string; email: string; name: string | null; erasedAt: string | null };
  tenant: { id: string; name: string; plan: string; createdAt: string };
  apiKeys: Array<{
    id: string;
    role: string;
    label: string;
    issuedAt: string;
    revokedAt: string | null;
  }>;
  retentionPolicies: Record<string, number>;
  /** Every event of the tenant's own stream, personal fields decrypted (`[erased]` once erased). */
  events: Array<{
    revision: number;
    type: string;
    recordedAt: string;
    actor: string | null;
    data: unknown;
  }>;
}

/**
 * Account-holder rights (MailPackr is the controller of account data, policy §1 and §8): the
 * account's own export, and its erasure through the same crypto-shredding path as recipients.
 */
export class AccountRights {
  constructor(
    private readonly deps: {
      executor: CommandExecutor;
      vault: PersonalDataVault;
      readModels: DataSource;
      waitForTenants: (position: Position | undefined) => Promise<void>;
    },
  ) {}

  async export(tenantId: string, now: Date): Promise<AccountExport> {
    const history = await this.deps.executor.history(toTenantStreamId(tenantId));
    const events = history.map(
      ({ recorded, data }) => ({ type: recorded.type, data }) as TenantEvent,
    );
    const tenant = evolveAll(tenantDecider, events);
    const created = events.find((e) => e.type === 'TenantCreated');
    if (tenant.status !== 'Active' || created?.type !== 'TenantCreated') {
      throw new TenantError('TENANT_NOT_FOUND');
    }
    const owner = created.data.owner;
    if (!owner || !tenant.owner)
      throw new TenantError('ACCOUNT_NOT_FOUND', 'This tenant has no account holder on record');
    const keys = await this.deps.readModels
      .getRepository(ApiKeyEntity)
      .find({ where: { tenantId }, order: { issuedAt: 'ASC' } });
    return {
      format: 'mailpackr.account-export.v1',
      generatedAt: now.toISOString(),
      account: {
        id: owner.accountId,
        email: owner.email,
        name: owner.name,
        erasedAt: tenant.owner.erasedAt,
      },
      tenant: { id: tenantId, name: tenant.name, plan: tenant.plan, createdAt: tenant.createdAt },
      apiKeys: keys.map((k) => ({
        id: k.keyId,
        role: k.role,
        label: k.label,
        issuedAt: k.issuedAt.toISOString(),
        revokedAt: k.revokedAt?.toISOString() ?? null,
      })),
      retentionPolicies: { ...tenant.retention },
      events: history.map(({ recorded: e, data }) => ({
        revision: Number(e.revision),
        type: e.type,
        recordedAt: e.metadata.timestamp,
        actor: e.metadata.actor ?? null,
        data,
      })),
    };
  }

  /** `AccountErased` (no personal data), then the account's key is destroyed. Idempotent. */
  async erase(
    context: CommandContext,
    input: { accountId: string; basis: EraseAccount['data']['basis']; now: Date },
  ): Promise<{ accountId: string; erasedAt: string; alreadyErased: boolean }> {
    const result = await this.deps.executor.handle(
      toTenantStreamId(context.tenantId),
      tenantDecider,
      {
        type: 'EraseAccount',
        data: {
          tenantId: context.tenantId,
          accountId: input.accountId,
          requestId: randomUUID(),
          basis: input.basis,
          requestedBy: context.actor,
        },
        metadata: { now: input.now },
      },
      context,
    );
    const state = result.state;
    if (state.status !== 'Active' || !state.owner?.erasedAt)
      throw new TenantError('ACCOUNT_NOT_FOUND');
    await this.deps.vault.shred(input.accountId, { tenantId: context.tenantId });
    await this.deps.waitForTenants(result.position);
    return {
      accountId: input.accountId,
      erasedAt: state.owner.erasedAt,
      alreadyErased: result.events.length === 0,
    };
  }
}
