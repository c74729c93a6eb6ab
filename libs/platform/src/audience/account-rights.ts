import { randomUUID } from 'node:crypto';

import {
  type EraseAccount,
  type TenantEvent,
  TenantError,
  accountDecider,
  evolveAll,
  tenantDecider,
  toAccountStreamId,
  toTenantStreamId,
} from '#domain';
import type { Position } from '#event-store';
import type { PersonalDataVault } from '#privacy';
import { IsNull } from 'typeorm';
import { ApiKeyEntity, type TenantReadModels } from '#projections';

import type { Accounts } from '../accounts/accounts.service.js';
import type { SessionStore } from '../accounts/session-store.js';
import type { CommandContext, CommandExecutor } from '../commands/command-executor.js';
import type { BillingRecordsExport } from '../billing/billing.service.js';

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
  /**
   * Billing records (MailPackr is the controller): plan, payment status, invoices and the billing
   * history. References and amounts only, never card data; kept for the legal period even after
   * the account is erased.
   */
  billing: BillingRecordsExport | null;
  /** The tenant's registered (login) accounts: decrypted, `[erased]` where shredded. */
  registeredAccounts: Array<{
    id: string;
    email: string;
    name: string;
    company: string;
    role: string;
    registeredAt: string;
    erasedAt: string | null;
  }>;
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
      tenantReads: TenantReadModels;
      waitForTenants: (position: Position | undefined) => Promise<void>;
      /** Registered (login) accounts: their export, and on erasure their sessions are revoked. */
      accounts?: Accounts;
      sessions?: SessionStore;
      /** Billing records for the export. */
      billing?: { exportRecords(tenantId: string): Promise<BillingRecordsExport> };
      waitFor?: (position: Position | undefined, readModels: readonly string[]) => Promise<void>;
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
    const keys = await this.deps.tenantReads.read(tenantId, (scope) =>
      scope.find(ApiKeyEntity, { order: { issuedAt: 'ASC' } }),
    );
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
      billing: (await this.deps.billing?.exportRecords(tenantId)) ?? null,
      registeredAccounts:
        (await this.deps.accounts?.list(tenantId, 10_000))?.map((a) => ({
          id: a.accountId,
          email: a.email,
          name: a.name,
          company: a.company,
          role: a.role,
          registeredAt: a.registeredAt.toISOString(),
          erasedAt: a.erasedAt?.toISOString() ?? null,
        })) ?? [],
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
    const registered = await this.deps.executor.read(
      toAccountStreamId(input.accountId),
      accountDecider,
    );
    if (registered.status !== 'Empty' && registered.tenantId === context.tenantId)
      return this.eraseRegistered(context, input);
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

  /**
   * A registered (login) account: `AccountErased` on its own stream, its key destroyed, its
   * sessions revoked and the API keys it issued revoked (except the tenant's last owner key, which
   * is the tenant's, not the person's). The read model drops its email index, so login fails.
   */
  private async eraseRegistered(
    context: CommandContext,
    input: { accountId: string; basis: EraseAccount['data']['basis']; now: Date },
  ): Promise<{ accountId: string; erasedAt: string; alreadyErased: boolean }> {
    const { tenantId } = context;
    const result = await this.deps.executor.handle(
      toAccountStreamId(input.accountId),
      accountDecider,
      {
        type: 'EraseAccount',
        data: {
          tenantId,
          accountId: input.accountId,
          requestId: randomUUID(),
          basis: input.basis,
          requestedBy: context.actor,
        },
        metadata: { now: input.now },
      },
      context,
    );
    if (result.state.status !== 'Erased') throw new TenantError('ACCOUNT_NOT_FOUND');
    await this.deps.vault.shred(input.accountId, { tenantId });
    await this.deps.sessions?.revokeAccount({
      tenantId,
      accountId: input.accountId,
      now: input.now,
    });
    const keys = await this.deps.tenantReads.read(tenantId, (scope) =>
      scope.find(ApiKeyEntity, { where: { accountId: input.accountId, revokedAt: IsNull() } }),
    );
    let last = result.position;
    for (const key of keys) {
      try {
        const revoked = await this.deps.executor.handle(
          toTenantStreamId(tenantId),
          tenantDecider,
          {
            type: 'RevokeApiKey',
            data: { tenantId, keyId: key.keyId },
            metadata: { now: input.now },
          },
          context,
        );
        last = revoked.position ?? last;
      } catch (error) {
        if (!(error instanceof TenantError && error.code === 'LAST_OWNER_KEY')) throw error;
      }
    }
    await this.deps.waitFor?.(result.position, ['accounts']);
    await this.deps.waitFor?.(last, ['api-keys']);
    return {
      accountId: input.accountId,
      erasedAt: result.state.erasedAt,
      alreadyErased: result.events.length === 0,
    };
  }
}
