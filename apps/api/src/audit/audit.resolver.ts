import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';

import { type BrokenLink, type LogSeal, formatPosition } from '#event-store';
import { ErasureAudit as ErasureAuditService, type MailpackrRuntime } from '#platform';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  AuditBrokenLink,
  AuditLogSeal,
  AuditVerification,
  ErasureAudit,
} from '../graphql/graphql.generated.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

/** Events one `auditVerify` call checks at most (`complete: false` beyond). */
export const AUDIT_VERIFY_MAX_EVENTS = 1_000_000;
/** Erased subjects one `auditErasures` call returns at most. */
export const AUDIT_ERASURES_LIMIT = 500;

const toBrokenLink = (b: BrokenLink): AuditBrokenLink => ({
  streamId: b.streamId ?? null,
  revision: b.revision === undefined ? null : Number(b.revision),
  position: b.position ? formatPosition(b.position) : null,
  code: b.code,
  reason: b.reason,
});

const toSeal = (s: LogSeal): AuditLogSeal => ({
  sealId: s.sealId,
  position: formatPosition(s.position),
  events: s.events,
  hash: s.hash,
  sealedAt: new Date(s.sealedAt),
});

/**
 * The auditor's GraphQL reads (permission `audit`, checked by the guard): the hash chain and the
 * erasures of the caller's own tenant only. Ids, positions, hashes and counts; no personal data.
 */
@Resolver()
export class AuditResolver {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Query('auditVerify')
  async auditVerify(
    @CurrentPrincipal() principal: Principal,
    @Args('from') from?: Date | null,
    @Args('to') to?: Date | null,
  ): Promise<AuditVerification> {
    if (from && to && from > to) throw new ApiError('BAD_USER_INPUT', '`from` is after `to`');
    const result = await this.runtime.store.verifyChain({
      tenantId: principal.tenantId,
      since: from ?? undefined,
      until: to ?? undefined,
      maxEvents: AUDIT_VERIFY_MAX_EVENTS,
    });
    return {
      ok: result.ok,
      checked: result.checked,
      streams: result.streams ?? 0,
      complete: result.complete ?? true,
      checks: (result.checks ?? ['chain']).map((c) => c.toUpperCase()),
      firstBroken: result.firstBroken ? toBrokenLink(result.firstBroken) : null,
      sealsChecked: result.seals?.checked ?? 0,
      latestSeal: result.seals?.latest ? toSeal(result.seals.latest) : null,
    };
  }

  @Query('auditErasures')
  async auditErasures(@CurrentPrincipal() principal: Principal): Promise<ErasureAudit[]> {
    const audit = new ErasureAuditService({
      store: this.runtime.store,
      codec: this.runtime.codec,
      vault: this.runtime.vault,
      pool: this.runtime.pool,
      readModels: this.runtime.readModels,
    });
    const entries = await audit.run({ tenantId: principal.tenantId, limit: AUDIT_ERASURES_LIMIT });
    return entries.map((e) => ({
      subjectType: e.subjectType.toUpperCase(),
      subjectId: e.subjectId,
      requestId: e.requestId,
      basis: e.basis,
      erasedAt: new Date(e.erasedAt),
      position: e.position,
      ok: e.ok,
      problems: e.problems,
      keyDestroyed: e.keyDestroyed,
      historyUnreadable: e.historyUnreadable,
      readModelsPurged: e.readModelsPurged,
      receiptHash: e.receipt?.receiptHash ?? null,
      receiptIntact: e.receipt?.intact ?? null,
    }));
  }
}
