import {
  type BillingAccount,
  type BillingEvent,
  type CataloguePlan,
  DEFAULT_PLANS,
  type OverQuotaPolicy,
  PLAN_CATALOGUE_STREAM_ID,
  PLATFORM_TENANT_ID,
  type PaymentStatus,
  type Plan,
  type PlanCatalogue,
  type PlanCatalogueCommand,
  type PlanChangeSource,
  BillingError,
  TenantError,
  assertContactCapacity,
  assertPaymentAllowsLaunch,
  assertWithinMonthlyQuota,
  billingDecider,
  billingMonthOf,
  graceEndsAt,
  monthlySendAllowance,
  nextBillingMonthStart,
  planCatalogueDecider,
  tenantDecider,
  toBillingStreamId,
  toTenantStreamId,
} from '#domain';
import { type EventStore, type Position, WrongExpectedRevisionError } from '#event-store';
import type { ProjectionRunner, TenantReadModels } from '#projections';
import type { DataSource } from 'typeorm';

import {
  type CommandExecutor,
  type CommandResult,
  uuidFromName,
} from '../commands/command-executor.js';

export interface BillingDependencies {
  executor: CommandExecutor;
  store: EventStore;
  readModels: DataSource;
  /** Tenant reads: the tenant filter and row-level security (`TenantReadModels`). */
  tenantReads: TenantReadModels;
  projections: ProjectionRunner;
  readYourWritesTimeoutMs: number;
  /** Days a payment may be past due before launches are refused. */
  graceDays: number;
  /** Years billing records are kept, even after the account is erased. */
  recordsRetentionYears: number;
}

/** A tenant's usage of its plan in the current calendar month (its time zone). */
export interface BillingUsage {
  /** `YYYY-MM` in the tenant's time zone. */
  month: string;
  timeZone: string;
  /** When the month's counters reset (the next month's first instant there). */
  resetsAt: Date;
  messagesUsed: number;
  /** null: unlimited. */
  messagesLeft: number | null;
  contacts: number;
  apiKeys: number;
}

export interface BillingOverview {
  plan: Plan;
  usage: BillingUsage;
  paymentStatus: PaymentStatus;
  paymentStatusSince: Date | null;
  /** While past due: when new launches stop. */
  graceEndsAt: Date | null;
  /** Whether a new campaign may launch now, as far as payment goes. */
  launchAllowed: boolean;
  /** A launch over what is left of the month's quota: refused, or sent up to it and paused. */
  overQuota: OverQuotaPolicy;
  invoices: InvoiceRecord[];
}

export interface InvoiceRecord {
  id: string;
  reference: string;
  amountMinor: number;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  issuedAt: Date;
}

/** The billing section of the account export: references only, never card data. */
export interface BillingRecordsExport {
  planId: string;
  paymentStatus: PaymentStatus;
  paymentStatusSince: string | null;
  timeZone: string;
  overQuota: OverQuotaPolicy;
  /** Kept until at least this long after they were issued (legal obligation). */
  retentionYears: number;
  invoices: Array<{
    id: string;
    reference: string;
    amountMinor: number;
    currency: string;
    periodStart: string;
    periodEnd: string;
    issuedAt: string;
    retainUntil: string;
  }>;
  events: Array<{
    revision: number;
    type: string;
    recordedAt: string;
    actor: string | null;
    data: unknown;
  }>;
}

/** One event of the billing webhook, validated (`billing-events.payload.ts` in the API). */
export type BillingProviderEvent =
  | { id: string; type: 'invoice.issued'; tenantId: string; invoice: ProviderInvoice }
  | { id: string; type: 'payment_status.changed'; tenantId: string; status: PaymentStatus }
  | { id: string; type: 'subscription.plan_changed'; tenantId: string; planId: string };

export interface ProviderInvoice {
  reference: string;
  amountMinor: number;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  issuedAt: Date;
}

const BILLING_READ_MODELS = ['billing'] as const;
const YEAR_MS = 365.25 * 86_400_000;

/**
 * Plans, quotas and billing records (issue 6). Plans are data (the `plan-catalogue` stream,
 * seeded with `DEFAULT_PLANS` the first time it is read); a tenant's plan, payment status,
 * invoices and time zone are its `billing-<tenant>` stream. Quotas are checked where they bite:
 * `assertCanLaunch` (campaign launch), `contactCapacity` (imports) and `maxApiKeys` (key issue).
 * Usage comes from the `billing` read model (launches per calendar month, in the tenant's zone)
 * and the `recipients` read model (contacts).
 */
export class Billing {
  #seeded = false;

  constructor(private readonly deps: BillingDependencies) {}

  // ── Plan catalogue ───────────────────────────────────────────────────────────────────────────

  /** The catalogue, seeded with the default plans when it holds none yet. */
  async catalogue(): Promise<PlanCatalogue> {
    const state = await this.deps.executor.read(PLAN_CATALOGUE_STREAM_ID, planCatalogueDecider);
    if (state.plans.size > 0 || this.#seeded) return state;
    await this.seed();
    return this.deps.executor.read(PLAN_CATALOGUE_STREAM_ID, planCatalogueDecider);
  }

  /** Appends the default plans to an empty catalogue (one append; a concurrent seed wins). */
  async seed(now = new Date()): Promise<void> {
    let state = planCatalogueDecider.initialState();
    const events = DEFAULT_PLANS.flatMap((plan) => {
      const decided = planCatalogueDecider.decide(
        { type: 'DefinePlan', data: { plan }, metadata: { now } },
        state,
      );
      for (const event of decided) state = planCatalogueDecider.evolve(state, event);
      return decided;
    });
    try {
      await this.deps.executor.handle(
        PLAN_CATALOGUE_STREAM_ID,
        {
          ...planCatalogueDecider,
          decide: (_command, current) => (current.plans.size > 0 ? [] : events),
        },
        { type: 'DefinePlan', data: { plan: DEFAULT_PLANS[0]! }, metadata: { now } },
        {
          tenantId: PLATFORM_TENANT_ID,
          actor: 'system:plan-catalogue',
          commandId: uuidFromName('plan-catalogue:seed'),
        },
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    this.#seeded = true;
  }

  /** Plans new tenants may take (not retired), by id. */
  async plans(): Promise<CataloguePlan[]> {
    const { plans } = await this.catalogue();
    return [...plans.values()].filter((p) => !p.retired);
  }

  /** The `plans` read model (plans new tenants may take), seeding the catalogue when empty. */
  async listPlans(): Promise<Plan[]> {
    const select = () =>
      this.deps.readModels.query<
        Array<{
          plan_id: string;
          name: string;
          monthly_message_quota: number | null;
          max_contacts: number | null;
          max_api_keys: number | null;
          price_reference: string | null;
        }>
      >(
        `SELECT plan_id, name, monthly_message_quota, max_contacts, max_api_keys, price_reference
           FROM plans WHERE retired_at IS NULL ORDER BY plan_id`,
      );
    let rows = await select();
    if (rows.length === 0) {
      await this.catalogue();
      await this.catchUp(['plans']);
      rows = await select();
    }
    return rows.map((r) => ({
      planId: r.plan_id,
      name: r.name,
      monthlyMessageQuota: r.monthly_message_quota,
      maxContacts: r.max_contacts,
      maxApiKeys: r.max_api_keys,
      priceReference: r.price_reference,
    }));
  }

  async plan(planId: string): Promise<CataloguePlan> {
    const plan = (await this.catalogue()).plans.get(planId);
    if (!plan) throw new BillingError('PLAN_NOT_FOUND', `Unknown plan: ${planId}`);
    return plan;
  }

  /** Adds or changes a plan (platform operator). Bad quotas: `INVALID_PLAN`, nothing changed. */
  definePlan(plan: Plan, actor: string, now = new Date()) {
    return this.changeCatalogue({ type: 'DefinePlan', data: { plan }, metadata: { now } }, actor);
  }

  retirePlan(planId: string, actor: string, now = new Date()) {
    return this.changeCatalogue({ type: 'RetirePlan', data: { planId }, metadata: { now } }, actor);
  }

  private async changeCatalogue(command: PlanCatalogueCommand, actor: string) {
    await this.catalogue();
    const result = await this.deps.executor.handle(
      PLAN_CATALOGUE_STREAM_ID,
      planCatalogueDecider,
      command,
      { tenantId: PLATFORM_TENANT_ID, actor },
    );
    await this.waitFor(result.position, ['plans']);
    return result;
  }

  // ── A tenant's subscription ──────────────────────────────────────────────────────────────────

  /** The tenant's billing state and its effective plan id (its creation plan until a change). */
  async account(tenantId: string): Promise<{ state: BillingAccount; planId: string }> {
    const creationPlan = await this.creationPlan(tenantId);
    const state = await this.deps.executor.read(toBillingStreamId(tenantId), billingDecider);
    return { state, planId: state.planId ?? creationPlan };
  }

  /**
   * The plan the tenant was created on (`TENANT_NOT_FOUND` for no tenant): from the `tenants`
   * read model (it never changes there), or from the tenant's stream when not projected yet.
   */
  private async creationPlan(tenantId: string): Promise<string> {
    const [row] = await this.read<Array<{ plan: string }>>(
      tenantId,
      'SELECT plan FROM tenants WHERE tenant_id = $1',
    );
    if (row) return row.plan;
    const tenant = await this.deps.executor.read(toTenantStreamId(tenantId), tenantDecider);
    if (tenant.status !== 'Active') throw new TenantError('TENANT_NOT_FOUND');
    return tenant.plan;
  }

  /** The tenant's plan id from the `billing` read model (`creationPlan` until a change). */
  async planIdOf(tenantId: string, creationPlan: string): Promise<string> {
    const [row] = await this.read<Array<{ plan_id: string | null }>>(
      tenantId,
      'SELECT plan_id FROM billing_accounts WHERE tenant_id = $1',
    );
    return row?.plan_id ?? creationPlan;
  }

  /** The tenant's plan as the catalogue defines it now. */
  async planOf(tenantId: string): Promise<Plan> {
    const { planId } = await this.account(tenantId);
    return this.plan(planId);
  }

  /** `mailpackr tenant plan` and the webhook: a `SubscriptionPlanChanged` event. */
  async changePlan(input: {
    tenantId: string;
    planId: string;
    source: PlanChangeSource;
    actor: string;
    providerEventId?: string;
    now: Date;
    /** false: do not wait for the `billing` read model (the webhook). */
    wait?: boolean;
  }) {
    const { planId: currentPlanId } = await this.account(input.tenantId);
    const { plans } = await this.catalogue();
    return this.billingCommand(
      input.tenantId,
      input.actor,
      {
        type: 'ChangeSubscriptionPlan',
        data: {
          tenantId: input.tenantId,
          planId: input.planId,
          currentPlanId,
          catalogue: plans,
          source: input.source,
          providerEventId: input.providerEventId ?? null,
        },
        metadata: { now: input.now },
      },
      input.wait,
    );
  }

  /** The time zone whose calendar months the usage counters follow. */
  async setTimeZone(input: { tenantId: string; timeZone: string; actor: string; now: Date }) {
    await this.creationPlan(input.tenantId);
    return this.billingCommand(input.tenantId, input.actor, {
      type: 'ChangeBillingSettings',
      data: { tenantId: input.tenantId, timeZone: input.timeZone },
      metadata: { now: input.now },
    });
  }

  /** What a launch over what is left of the month's quota does (`refuse` or `pause`). */
  async setOverQuota(input: {
    tenantId: string;
    overQuota: OverQuotaPolicy;
    actor: string;
    now: Date;
  }) {
    await this.creationPlan(input.tenantId);
    return this.billingCommand(input.tenantId, input.actor, {
      type: 'ChangeBillingSettings',
      data: { tenantId: input.tenantId, overQuota: input.overQuota },
      metadata: { now: input.now },
    });
  }

  /**
   * Records one event of the billing provider's webhook. A provider event id seen before is
   * `DUPLICATE_PROVIDER_EVENT` (replay protection), nothing changed.
   */
  async ingest(event: BillingProviderEvent, now: Date) {
    const actor = 'billing:webhook';
    // The provider reads nothing back: no wait for the read model (unlike the operator's CLI).
    switch (event.type) {
      case 'subscription.plan_changed':
        return this.changePlan({
          tenantId: event.tenantId,
          planId: event.planId,
          source: 'billing_provider',
          actor,
          providerEventId: event.id,
          now,
          wait: false,
        });
      case 'invoice.issued':
        await this.creationPlan(event.tenantId);
        return this.billingCommand(
          event.tenantId,
          actor,
          {
            type: 'RecordInvoice',
            data: {
              tenantId: event.tenantId,
              invoiceId: uuidFromName(`invoice:${event.tenantId}:${event.invoice.reference}`),
              ...event.invoice,
              providerEventId: event.id,
            },
            metadata: { now },
          },
          false,
        );
      case 'payment_status.changed':
        await this.creationPlan(event.tenantId);
        return this.billingCommand(
          event.tenantId,
          actor,
          {
            type: 'ChangePaymentStatus',
            data: { tenantId: event.tenantId, status: event.status, providerEventId: event.id },
            metadata: { now },
          },
          false,
        );
    }
  }

  /**
   * A replay of a provider event is refused even when it changed nothing the first time: the
   * ids are kept in the stream state, so a second delivery with the same id is a conflict.
   */
  private async billingCommand(
    tenantId: string,
    actor: string,
    command: Parameters<typeof billingDecider.decide>[0],
    wait = true,
  ): Promise<CommandResult<BillingAccount, BillingEvent>> {
    const result = await this.deps.executor.handle(
      toBillingStreamId(tenantId),
      billingDecider,
      command,
      { tenantId, actor },
    );
    if (wait) await this.waitFor(result.position, BILLING_READ_MODELS);
    return result;
  }

  // ── Quotas, where they bite ──────────────────────────────────────────────────────────────────

  /**
   * Before a launch freezes its audience: refused when payment is past due beyond the grace
   * period, when the subscription is cancelled, or when the audience is over what is left of the
   * month's quota (`MONTHLY_QUOTA_EXCEEDED` with the counts).
   */
  async assertCanLaunch(tenantId: string, audience: number, now: Date): Promise<void> {
    await this.launchAllowance(tenantId, audience, now, 'refuse');
  }

  /**
   * The launch check with the tenant's `overQuota` setting: payment blocks and `refuse` throw as
   * `assertCanLaunch`; with `pause`, an audience over what is left is allowed that many messages
   * (maybe 0). Returns the send limit, or null when the whole audience may be sent.
   */
  async launchAllowance(
    tenantId: string,
    audience: number,
    now: Date,
    policy?: OverQuotaPolicy,
  ): Promise<number | null> {
    const month = await this.monthToSend(tenantId, now);
    if (!month) return null;
    const { plan, used, standing } = month;
    const overQuota = policy ?? standing.overQuota;
    if (overQuota === 'refuse') {
      assertWithinMonthlyQuota({ plan, used, audience, month: month.month });
      return null;
    }
    return monthlySendAllowance({ plan, used, audience, month: month.month, overQuota });
  }

  /**
   * Resuming a campaign paused for its quota: how many messages are left this month (null:
   * unlimited). None left is `MONTHLY_QUOTA_EXCEEDED` (with the counts), and nothing changes.
   * Payment blocks apply as at launch.
   */
  async releaseAllowance(tenantId: string, held: number, now: Date): Promise<number | null> {
    const current = await this.monthToSend(tenantId, now);
    if (!current) return null;
    const { plan, used, month } = current;
    const quota = plan.monthlyMessageQuota!;
    const left = Math.max(0, quota - used);
    if (left === 0) {
      throw new BillingError(
        'MONTHLY_QUOTA_EXCEEDED',
        `No messages are left this month (${month}) on the ${plan.planId} plan (quota ${quota}, ${used} used) for the ${held} held back`,
        { planId: plan.planId, month, quota, used, left, audience: held },
      );
    }
    return left;
  }

  /**
   * What sending may use now: payment blocks throw; an unlimited plan is `null`; otherwise the
   * plan, the calendar month in the tenant's time zone and the messages it has used.
   */
  private async monthToSend(tenantId: string, now: Date) {
    await this.catchUp(['billing', 'plans']);
    const standing = await this.standing(tenantId);
    assertPaymentAllowsLaunch(
      {
        status: standing.paymentStatus,
        since: standing.paymentStatusSince,
        graceDays: this.deps.graceDays,
      },
      now,
    );
    const { plan } = standing;
    if (plan.monthlyMessageQuota === null) return null;
    const month = billingMonthOf(now, standing.timeZone);
    return { standing, plan, month, used: await this.messagesLaunched(tenantId, month) };
  }

  /**
   * The tenant's plan, payment standing and time zone from the read models in one query (the
   * launch check runs it after catching them up); from the streams when a row is missing.
   */
  private async standing(tenantId: string): Promise<{
    plan: Plan;
    paymentStatus: PaymentStatus;
    paymentStatusSince: string | null;
    timeZone: string;
    overQuota: OverQuotaPolicy;
  }> {
    const [row] = await this.read<
      Array<{
        payment_status: PaymentStatus | null;
        payment_status_since: Date | null;
        time_zone: string | null;
        over_quota: OverQuotaPolicy | null;
        plan_id: string | null;
        name: string | null;
        monthly_message_quota: number | null;
        max_contacts: number | null;
        max_api_keys: number | null;
        price_reference: string | null;
      }>
    >(
      tenantId,
      `SELECT b.payment_status, b.payment_status_since, b.time_zone, b.over_quota, p.plan_id, p.name,
              p.monthly_message_quota, p.max_contacts, p.max_api_keys, p.price_reference
         FROM tenants t
         LEFT JOIN billing_accounts b ON b.tenant_id = t.tenant_id
         LEFT JOIN plans p ON p.plan_id = COALESCE(b.plan_id, t.plan)
        WHERE t.tenant_id = $1`,
    );
    if (!row?.plan_id || row.name === null) {
      const { state, planId } = await this.account(tenantId);
      return {
        plan: await this.plan(planId),
        paymentStatus: state.paymentStatus,
        paymentStatusSince: state.paymentStatusSince,
        timeZone: state.timeZone,
        overQuota: state.overQuota,
      };
    }
    return {
      plan: {
        planId: row.plan_id,
        name: row.name,
        monthlyMessageQuota: row.monthly_message_quota,
        maxContacts: row.max_contacts,
        maxApiKeys: row.max_api_keys,
        priceReference: row.price_reference,
      },
      paymentStatus: row.payment_status ?? 'active',
      paymentStatusSince: row.payment_status_since?.toISOString() ?? null,
      timeZone: row.time_zone ?? 'UTC',
      overQuota: row.over_quota ?? 'refuse',
    };
  }

  /**
   * For an import: the plan's contact limit and the contacts held now (active recipients in the
   * read model), and a check the importer calls before each batch with the new contacts it
   * would add (`CONTACT_LIMIT_EXCEEDED` with the counts).
   */
  async contactCapacity(tenantId: string): Promise<(adding: number) => void> {
    const plan = await this.planOf(tenantId);
    if (plan.maxContacts === null) return () => undefined;
    await this.catchUp(['recipients']);
    const contacts = await this.contactCount(tenantId);
    let reserved = 0;
    let refused: Error | undefined;
    return (adding: number) => {
      // Once a batch is refused, every later one is too (the importer checks them in file order).
      if (refused !== undefined) throw refused;
      if (adding === 0) return;
      try {
        assertContactCapacity({ plan, contacts: contacts + reserved, adding });
      } catch (error) {
        refused = error instanceof Error ? error : new Error(String(error));
        throw refused;
      }
      reserved += adding;
    };
  }

  /** The plan's limit of working API keys (null: none), for `IssueApiKey`. */
  async maxApiKeys(tenantId: string): Promise<number | null> {
    return (await this.planOf(tenantId)).maxApiKeys;
  }

  // ── Reads ────────────────────────────────────────────────────────────────────────────────────

  async usage(tenantId: string, now: Date, plan?: Plan): Promise<BillingUsage> {
    const [account] = await this.read<Array<{ time_zone: string }>>(
      tenantId,
      'SELECT time_zone FROM billing_accounts WHERE tenant_id = $1',
    );
    const timeZone = account?.time_zone ?? 'UTC';
    const month = billingMonthOf(now, timeZone);
    const quota = (plan ?? (await this.planOf(tenantId))).monthlyMessageQuota;
    const messagesUsed = await this.messagesLaunched(tenantId, month);
    const [keys] = await this.read<Array<{ n: string }>>(
      tenantId,
      'SELECT count(*) AS n FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL',
    );
    return {
      month,
      timeZone,
      resetsAt: nextBillingMonthStart(now, timeZone),
      messagesUsed,
      messagesLeft: quota === null ? null : Math.max(0, quota - messagesUsed),
      contacts: await this.contactCount(tenantId),
      apiKeys: Number(keys?.n ?? 0),
    };
  }

  async overview(tenantId: string, now: Date): Promise<BillingOverview> {
    const { state, planId } = await this.account(tenantId);
    const plan = await this.plan(planId);
    const payment = {
      status: state.paymentStatus,
      since: state.paymentStatusSince,
      graceDays: this.deps.graceDays,
    };
    let launchAllowed = true;
    try {
      assertPaymentAllowsLaunch(payment, now);
    } catch (error) {
      if (!(error instanceof BillingError)) throw error;
      launchAllowed = false;
    }
    return {
      plan,
      usage: await this.usage(tenantId, now, plan),
      paymentStatus: state.paymentStatus,
      paymentStatusSince: state.paymentStatusSince ? new Date(state.paymentStatusSince) : null,
      graceEndsAt: graceEndsAt(payment),
      launchAllowed,
      overQuota: state.overQuota,
      invoices: await this.invoices(tenantId),
    };
  }

  /** Newest first. */
  async invoices(tenantId: string, limit = 100): Promise<InvoiceRecord[]> {
    const rows = await this.read<
      Array<{
        invoice_id: string;
        reference: string;
        amount_minor: string;
        currency: string;
        period_start: Date;
        period_end: Date;
        issued_at: Date;
      }>
    >(
      tenantId,
      `SELECT invoice_id, reference, amount_minor, currency, period_start, period_end, issued_at
         FROM invoices WHERE tenant_id = $1
        ORDER BY issued_at DESC, invoice_id DESC LIMIT $2`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.invoice_id,
      reference: r.reference,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      issuedAt: r.issued_at,
    }));
  }

  /** The billing part of the account export (from the history: complete and exact). */
  async exportRecords(tenantId: string): Promise<BillingRecordsExport> {
    const { state, planId } = await this.account(tenantId);
    const history = await this.deps.executor.history(toBillingStreamId(tenantId));
    const years = this.deps.recordsRetentionYears;
    return {
      planId,
      paymentStatus: state.paymentStatus,
      paymentStatusSince: state.paymentStatusSince,
      timeZone: state.timeZone,
      overQuota: state.overQuota,
      retentionYears: years,
      invoices: history
        .filter(({ recorded }) => recorded.type === 'InvoiceIssued')
        .map(({ data }) => {
          const invoice = data as {
            invoiceId: string;
            reference: string;
            amountMinor: number;
            currency: string;
            periodStart: string;
            periodEnd: string;
            issuedAt: string;
          };
          return {
            id: invoice.invoiceId,
            reference: invoice.reference,
            amountMinor: invoice.amountMinor,
            currency: invoice.currency,
            periodStart: invoice.periodStart,
            periodEnd: invoice.periodEnd,
            issuedAt: invoice.issuedAt,
            retainUntil: new Date(Date.parse(invoice.issuedAt) + years * YEAR_MS).toISOString(),
          };
        }),
      events: history.map(({ recorded, data }) => ({
        revision: Number(recorded.revision),
        type: recorded.type,
        recordedAt: recorded.metadata.timestamp,
        actor: recorded.metadata.actor ?? null,
        data,
      })),
    };
  }

  /** Raw SQL over one tenant's read models (its filter and row security); `$1` is the tenant. */
  private read<R>(tenantId: string, sql: string, params: unknown[] = []): Promise<R> {
    return this.deps.tenantReads.read(tenantId, (scope) => scope.query<R>(sql, params));
  }

  private async messagesLaunched(tenantId: string, month: string): Promise<number> {
    const [row] = await this.read<Array<{ n: string | null }>>(
      tenantId,
      'SELECT sum(messages) AS n FROM billing_launches WHERE tenant_id = $1 AND month = $2',
      [month],
    );
    return Number(row?.n ?? 0);
  }

  private async contactCount(tenantId: string): Promise<number> {
    const [row] = await this.read<Array<{ n: string }>>(
      tenantId,
      `SELECT count(*) AS n FROM recipients WHERE tenant_id = $1 AND status = 'active'`,
    );
    return Number(row?.n ?? 0);
  }

  private async waitFor(position: Position | undefined, names: readonly string[]): Promise<void> {
    if (position)
      await this.deps.projections.waitFor(position, names, this.deps.readYourWritesTimeoutMs);
  }

  private async catchUp(names: readonly string[]): Promise<void> {
    const head = await this.deps.store.lastCommittedPosition();
    if (head) await this.deps.projections.waitFor(head, names, this.deps.readYourWritesTimeoutMs);
  }
}
