import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read model `plans`: the platform's plan catalogue (global, no tenant). Null limit: unlimited. */
@Entity({ name: 'plans' })
export class PlanEntity {
  @PrimaryColumn({ name: 'plan_id', type: 'text' })
  planId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'monthly_message_quota', type: 'integer', nullable: true })
  monthlyMessageQuota: number | null;

  @Column({ name: 'max_contacts', type: 'integer', nullable: true })
  maxContacts: number | null;

  @Column({ name: 'max_api_keys', type: 'integer', nullable: true })
  maxApiKeys: number | null;

  @Column({ name: 'price_reference', type: 'text', nullable: true })
  priceReference: string | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  @Column({ name: 'defined_at', type: 'timestamptz' })
  definedAt: Date;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}

/** Read model `billing_accounts`: a tenant's plan (null: its creation plan), payment, time zone. */
@Entity({ name: 'billing_accounts' })
export class BillingAccountEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'plan_id', type: 'text', nullable: true })
  planId: string | null;

  @Column({ name: 'payment_status', type: 'text' })
  paymentStatus: string;

  @Column({ name: 'payment_status_since', type: 'timestamptz', nullable: true })
  paymentStatusSince: Date | null;

  @Column({ name: 'time_zone', type: 'text' })
  timeZone: string;

  /** A launch over the month's quota: `refuse` (default) or `pause` (send up to it, pause). */
  @Column({ name: 'over_quota', type: 'text', default: 'refuse' })
  overQuota: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}

/** Read model `invoices`: references, amounts and periods only (never card data). */
@Entity({ name: 'invoices' })
export class InvoiceEntity {
  @PrimaryColumn({ name: 'invoice_id', type: 'uuid' })
  invoiceId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  reference: string;

  @Column({ name: 'amount_minor', type: 'bigint' })
  amountMinor: string;

  @Column({ type: 'text' })
  currency: string;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd: Date;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}

/**
 * Read model `billing_launches`: one row per campaign launch (its messages allowed), and one per
 * quota release of a resumed campaign, each in its month (tenant's zone).
 */
@Entity({ name: 'billing_launches' })
export class BillingLaunchEntity {
  /** The campaign id for the launch; `<campaign id>:<revision>` for a release. */
  @PrimaryColumn({ name: 'entry_id', type: 'text' })
  entryId: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  month: string;

  @Column({ type: 'integer' })
  messages: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;
}

export const BILLING_ENTITIES = [
  PlanEntity,
  BillingAccountEntity,
  InvoiceEntity,
  BillingLaunchEntity,
] as const;
