import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';

import {
  type EraseAccount,
  type PrivacyRegulation,
  type PrivacyRequestKind as DomainPrivacyRequestKind,
  type PrivacyRequestRejectionReason as DomainRejectionReason,
  RecipientError,
  type RetentionPolicyKind as DomainRetentionPolicyKind,
  tenantDecider,
  toTenantStreamId,
} from '#domain';
import type { MailpackrRuntime, RetentionRunReport } from '#platform';
import { PrivacyRequestEntity, RecipientEntity, TenantEntity } from '#projections';

import { CurrentPrincipal, type Principal, actorOf } from '../auth/principal.js';
import { commandContextOf } from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  AccountDataExport,
  AccountErasure,
  PrivacyRequest,
  PrivacyRequestConnection,
  PrivacyRequestStatus,
  RetentionPolicy,
  RetentionPolicyKind,
  RetentionRun,
} from '../graphql/graphql.generated.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { newestFirstPage } from '../graphql/keyset-page.js';
import {
  EraseAccountInputDto,
  ExtendPrivacyRequestInputDto,
  OpenPrivacyRequestInputDto,
  RejectPrivacyRequestInputDto,
  SetRetentionPolicyInputDto,
} from './privacy.inputs.js';

const toPrivacyRequest = (row: PrivacyRequestEntity, now: Date): PrivacyRequest => ({
  id: row.requestId,
  kind: row.kind.toUpperCase() as PrivacyRequest['kind'],
  regulation: row.regulation.toUpperCase() as PrivacyRequest['regulation'],
  subjectType: row.subjectType.toUpperCase() as PrivacyRequest['subjectType'],
  subjectId: row.subjectId,
  reference: row.reference,
  status: row.status.toUpperCase() as PrivacyRequestStatus,
  outcome: row.outcome,
  receivedAt: row.receivedAt,
  dueAt: row.dueAt,
  overdue: row.status === 'open' && row.dueAt.getTime() < now.getTime(),
  extended: row.extended,
  openedBy: row.openedBy,
  closedAt: row.closedAt,
  closedBy: row.closedBy,
});

const toRun = (report: RetentionRunReport): RetentionRun => ({
  runId: report.runId,
  startedAt: new Date(report.startedAt),
  finishedAt: new Date(report.finishedAt),
  recipientsErased: report.recipientsErased,
  policies: report.policies.map((p) => ({
    kind: p.kind.toUpperCase() as RetentionPolicyKind,
    days: p.days,
    cutoff: new Date(p.cutoff),
    removed: p.removed,
  })),
});

/** Retention policies and the account holder's own rights, for the caller's tenant. */
@Resolver()
export class PrivacyResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('retentionPolicies')
  async retentionPolicies(@CurrentPrincipal() principal: Principal): Promise<RetentionPolicy[]> {
    const tenant = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(TenantEntity, { where: {} }),
    );
    if (!tenant) throw new ApiError('NOT_FOUND', 'Tenant not found');
    return Object.entries(tenant.retentionPolicies)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, days]) => ({ kind: kind.toUpperCase() as RetentionPolicyKind, days }));
  }

  @Mutation('setRetentionPolicy')
  async setRetentionPolicy(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: SetRetentionPolicyInputDto,
  ): Promise<RetentionPolicy[]> {
    const result = await this.runtime.commands.handle(
      toTenantStreamId(principal.tenantId),
      tenantDecider,
      {
        type: 'SetRetentionPolicy',
        data: {
          tenantId: principal.tenantId,
          kind: input.kind.toLowerCase() as DomainRetentionPolicyKind,
          days: input.days ?? null,
        },
        metadata: { now: this.clock() },
      },
      { tenantId: principal.tenantId, actor: actorOf(principal) },
    );
    if (result.position) {
      await this.runtime.projections.waitFor(
        result.position,
        ['tenants'],
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    }
    return this.retentionPolicies(principal);
  }

  @Mutation('runRetention')
  async runRetention(@CurrentPrincipal() principal: Principal): Promise<RetentionRun | null> {
    const [report] = await this.runtime.retention.run({
      now: this.clock(),
      tenantId: principal.tenantId,
    });
    return report ? toRun(report) : null;
  }

  // ── Data-subject requests ──────────────────────────────────────────────────────────────────────

  @Query('privacyRequests')
  async privacyRequests(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('status') status: PrivacyRequestStatus | null,
    @Args('overdue') overdue: boolean | null,
  ): Promise<PrivacyRequestConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after);
    const rows = await this.runtime.tenantReads.read(principal.tenantId, (scope) => {
      const query = scope.select(PrivacyRequestEntity, 'p');
      if (status) query.andWhere('p.status = :status', { status: status.toLowerCase() });
      if (overdue === true) {
        query.andWhere(`p.status = 'open' AND p.due_at < :now`, { now: this.clock() });
      }
      return newestFirstPage(query, 'request_id', size, cursor, 'received_at');
    });
    const now = this.clock();
    return toConnection(
      rows,
      size,
      (row) => ({ createdAt: row.receivedAt, id: row.requestId }),
      (row) => toPrivacyRequest(row, now),
    );
  }

  @Query('privacyRequest')
  privacyRequest(
    @CurrentPrincipal() principal: Principal,
    @Args('id') id: string,
  ): Promise<PrivacyRequest> {
    return this.loadRequest(principal, assertUuid(id, 'Privacy request'));
  }

  @Mutation('openPrivacyRequest')
  async openPrivacyRequest(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: OpenPrivacyRequestInputDto,
  ): Promise<PrivacyRequest> {
    const now = this.clock();
    const recipientId =
      input.recipientId ??
      (input.email
        ? await this.runtime.audience.findByEmail(principal.tenantId, input.email)
        : null);
    if (input.email && !recipientId) {
      throw new RecipientError('RECIPIENT_NOT_FOUND', 'No recipient has this address');
    }
    // A request names a recipient of this tenant, never an id from elsewhere.
    if (
      input.recipientId &&
      !(await this.runtime.tenantReads.read(
        principal.tenantId,
        async (scope) =>
          (await scope.count(RecipientEntity, { where: { recipientId: input.recipientId! } })) > 0,
      ))
    )
      throw new RecipientError('RECIPIENT_NOT_FOUND', 'No recipient of this tenant has this id');
    const accountId = recipientId ? null : await this.accountId(principal);
    const { requestId } = await this.runtime.privacyRequests.open(
      commandContextOf(principal, 'PrivacyRequest'),
      {
        kind: input.kind.toLowerCase() as DomainPrivacyRequestKind,
        regulation: input.regulation.toLowerCase() as PrivacyRegulation,
        subjectType: recipientId ? 'recipient' : 'account',
        subjectId: recipientId ?? accountId,
        reference: input.reference ?? null,
        receivedAt: input.receivedAt ? new Date(input.receivedAt) : now,
        now,
      },
    );
    return this.loadRequest(principal, requestId);
  }

  @Mutation('rejectPrivacyRequest')
  async rejectPrivacyRequest(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RejectPrivacyRequestInputDto,
  ): Promise<PrivacyRequest> {
    await this.runtime.privacyRequests.reject(
      commandContextOf(principal, 'PrivacyRequest'),
      input.id,
      input.reason.toLowerCase() as DomainRejectionReason,
      this.clock(),
    );
    return this.loadRequest(principal, input.id);
  }

  @Mutation('extendPrivacyRequest')
  async extendPrivacyRequest(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ExtendPrivacyRequestInputDto,
  ): Promise<PrivacyRequest> {
    await this.runtime.privacyRequests.extend(
      commandContextOf(principal, 'PrivacyRequest'),
      input.id,
      input.reason,
      this.clock(),
    );
    return this.loadRequest(principal, input.id);
  }

  // ── The account holder's own rights ───────────────────────────────────────────────────────────

  @Mutation('exportAccountData')
  async exportAccountData(@CurrentPrincipal() principal: Principal): Promise<AccountDataExport> {
    const now = this.clock();
    const doc = await this.runtime.privacyRequests.track(
      commandContextOf(principal, 'PrivacyRequest'),
      {
        kind: 'access',
        subjectType: 'account',
        subjectId: () => this.accountId(principal),
      },
      'exported',
      now,
      () => this.runtime.accounts.export(principal.tenantId, now),
    );
    return { accountId: doc.account.id, generatedAt: now, json: JSON.stringify(doc, null, 2) };
  }

  @Mutation('eraseAccount')
  async eraseAccount(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: EraseAccountInputDto,
  ): Promise<AccountErasure> {
    const now = this.clock();
    const basis = input.basis.toLowerCase() as EraseAccount['data']['basis'];
    const erased = await this.runtime.privacyRequests.track(
      commandContextOf(principal, 'PrivacyRequest'),
      {
        requestId: input.requestId ?? undefined,
        kind: basis === 'child_under_13' ? 'child' : 'erasure',
        regulation: basis === 'ccpa_delete' ? 'ccpa' : 'gdpr',
        subjectType: 'account',
        subjectId: () => input.accountId,
      },
      'erased',
      now,
      () =>
        this.runtime.accounts.erase(commandContextOf(principal, 'PrivacyRequest'), {
          accountId: input.accountId,
          basis,
          now,
        }),
    );
    return { ...erased, erasedAt: new Date(erased.erasedAt) };
  }

  private async accountId(principal: Principal): Promise<string | null> {
    const tenant = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(TenantEntity, { where: {} }),
    );
    return tenant?.ownerAccountId ?? null;
  }

  private async loadRequest(principal: Principal, requestId: string): Promise<PrivacyRequest> {
    const row = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(PrivacyRequestEntity, { where: { requestId } }),
    );
    if (!row) throw new ApiError('NOT_FOUND', 'Privacy request not found');
    return toPrivacyRequest(row, this.clock());
  }
}
