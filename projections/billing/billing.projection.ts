import {
  type BillingEvent,
  type CampaignResumed,
  type CampaignStarted,
  type PlanCatalogueEvent,
  BILLING_EVENT_TYPES,
  BILLING_STREAM_CATEGORY,
  CAMPAIGN_STREAM_CATEGORY,
  PLAN_CATALOGUE_EVENT_TYPES,
  PLAN_CATALOGUE_STREAM_CATEGORY,
  assertNever,
  billingMonthOf,
} from '#domain';

import {
  type Projection,
  defineRowProjection,
  quoteIdent,
  upsertRows,
} from '../core/projection.js';

export interface PlanRow {
  plan_id: string;
  name: string;
  monthly_message_quota: number | null;
  max_contacts: number | null;
  max_api_keys: number | null;
  price_reference: string | null;
  retired_at: string | Date | null;
  defined_at: string | Date;
  last_revision: string | number;
}

/** `plans`: the plan catalogue, one row per plan (retired ones kept, with `retired_at`). */
export const plansProjection = defineRowProjection<PlanRow>({
  name: 'plans',
  table: 'plans',
  keyColumn: 'plan_id',
  keyType: 'text',
  filter: {
    categories: [PLAN_CATALOGUE_STREAM_CATEGORY],
    eventTypes: PLAN_CATALOGUE_EVENT_TYPES,
  },
  keyOf: (event) => (event.data as { planId?: string }).planId,
  evolve: (row, recorded) => {
    const event = recorded as unknown as PlanCatalogueEvent;
    const last_revision = recorded.revision.toString();
    switch (event.type) {
      case 'PlanDefined': {
        const { planId, definedAt, ...plan } = event.data;
        return {
          plan_id: planId,
          name: plan.name,
          monthly_message_quota: plan.monthlyMessageQuota,
          max_contacts: plan.maxContacts,
          max_api_keys: plan.maxApiKeys,
          price_reference: plan.priceReference,
          retired_at: null,
          defined_at: definedAt,
          last_revision,
        };
      }
      case 'PlanRetired':
        return row ? { ...row, retired_at: event.data.retiredAt, last_revision } : null;
      default:
        return assertNever(event);
    }
  },
});

export interface BillingAccountRow {
  tenant_id: string;
  plan_id: string | null;
  payment_status: string;
  payment_status_since: string | Date | null;
  time_zone: string;
  over_quota: string;
  updated_at: string | Date;
  last_revision: string | number;
}

export interface InvoiceRow {
  invoice_id: string;
  tenant_id: string;
  reference: string;
  amount_minor: number | string;
  currency: string;
  period_start: string | Date;
  period_end: string | Date;
  issued_at: string | Date;
  recorded_at: string | Date;
}

export interface BillingLaunchRow {
  /** The campaign id for its launch; `<campaign id>:<revision>` for a quota release. */
  entry_id: string;
  campaign_id: string;
  tenant_id: string;
  month: string;
  messages: number;
  started_at: string | Date;
}

type Handled = BillingEvent | CampaignStarted | CampaignResumed;

/**
 * `billing`: each tenant's billing account (from its `billing-<tenant>` stream), its invoices, and
 * one row per campaign launch with the calendar month, in the tenant's time zone at that point of
 * the log, that the launch counts against: its `sendLimit` when the quota limited it, else its
 * whole audience; and one row per quota release (`CampaignResumed.released`) in the month of the
 * resume. The monthly usage is the sum of a month's rows (a few per tenant and month), so the
 * counter resets by itself when the month changes. Redelivery is harmless: accounts by stream
 * revision, invoices and launch rows by their ids.
 */
export const billingProjection: Projection = {
  name: 'billing',
  tables: ['billing_accounts', 'invoices', 'billing_launches'],
  filter: {
    categories: [BILLING_STREAM_CATEGORY, CAMPAIGN_STREAM_CATEGORY],
    eventTypes: [...BILLING_EVENT_TYPES, 'CampaignStarted', 'CampaignResumed'],
  },
  async apply(batch, sql, tables) {
    const table = (name: string) => quoteIdent(tables[name] ?? name);
    const tenantIds = [
      ...new Set(
        batch
          .map((e) => (e.data as { tenantId?: unknown }).tenantId)
          .filter((t): t is string => typeof t === 'string'),
      ),
    ];
    if (tenantIds.length === 0) return;
    const accounts = new Map<string, BillingAccountRow>();
    for (const row of await sql.query<BillingAccountRow>(
      `SELECT * FROM ${table('billing_accounts')} WHERE tenant_id = ANY($1::uuid[])`,
      [tenantIds],
    ))
      accounts.set(row.tenant_id, row);
    const touched = new Set<string>();
    const invoices: InvoiceRow[] = [];
    const launches: BillingLaunchRow[] = [];
    for (const recorded of batch) {
      const event = recorded as unknown as Handled;
      const { tenantId } = event.data;
      if (event.type === 'CampaignStarted') {
        const zone = accounts.get(tenantId)?.time_zone ?? 'UTC';
        launches.push({
          entry_id: event.data.campaignId,
          campaign_id: event.data.campaignId,
          tenant_id: tenantId,
          month: billingMonthOf(new Date(event.data.startedAt), zone),
          messages: event.data.sendLimit ?? event.data.audience.recipients,
          started_at: event.data.startedAt,
        });
        continue;
      }
      if (event.type === 'CampaignResumed') {
        const released = event.data.released ?? 0;
        if (released <= 0) continue; // a manual resume sends nothing new
        const zone = accounts.get(tenantId)?.time_zone ?? 'UTC';
        launches.push({
          entry_id: `${event.data.campaignId}:${recorded.revision.toString()}`,
          campaign_id: event.data.campaignId,
          tenant_id: tenantId,
          month: billingMonthOf(new Date(event.data.resumedAt), zone),
          messages: released,
          started_at: event.data.resumedAt,
        });
        continue;
      }
      const row: BillingAccountRow = accounts.get(tenantId) ?? {
        tenant_id: tenantId,
        plan_id: null,
        payment_status: 'active',
        payment_status_since: null,
        time_zone: 'UTC',
        over_quota: 'refuse',
        updated_at: recorded.metadata.timestamp,
        last_revision: -1,
      };
      if (BigInt(row.last_revision) >= recorded.revision) continue; // already applied
      const next = { ...row, last_revision: recorded.revision.toString() };
      switch (event.type) {
        case 'SubscriptionPlanChanged':
          next.plan_id = event.data.planId;
          next.updated_at = event.data.changedAt;
          break;
        case 'PaymentStatusChanged':
          next.payment_status = event.data.status;
          next.payment_status_since = event.data.changedAt;
          next.updated_at = event.data.changedAt;
          break;
        case 'BillingSettingsChanged':
          next.time_zone = event.data.timeZone;
          next.over_quota = event.data.overQuota ?? next.over_quota;
          next.updated_at = event.data.changedAt;
          break;
        case 'InvoiceIssued': {
          const { data } = event;
          invoices.push({
            invoice_id: data.invoiceId,
            tenant_id: tenantId,
            reference: data.reference,
            amount_minor: data.amountMinor,
            currency: data.currency,
            period_start: data.periodStart,
            period_end: data.periodEnd,
            issued_at: data.issuedAt,
            recorded_at: data.recordedAt,
          });
          next.updated_at = data.recordedAt;
          break;
        }
        default:
          assertNever(event);
      }
      accounts.set(tenantId, next);
      touched.add(tenantId);
    }
    if (touched.size > 0)
      await upsertRows(
        sql,
        table('billing_accounts'),
        quoteIdent('tenant_id'),
        [...touched].map((id) => accounts.get(id)!),
      );
    if (invoices.length > 0)
      await upsertRows(sql, table('invoices'), quoteIdent('invoice_id'), invoices);
    if (launches.length > 0)
      await upsertRows(sql, table('billing_launches'), quoteIdent('entry_id'), launches);
  },
};
