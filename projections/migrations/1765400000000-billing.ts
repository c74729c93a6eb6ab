import type { MigrationInterface, QueryRunner } from 'typeorm';

import {
  TENANT_READER_ROLE,
  dropTenantRowSecuritySql,
  tenantRowSecuritySql,
} from '../core/row-level-security.js';

/** The tenant read models of this migration, under row-level security like the others. */
const TENANT_TABLES = ['billing_accounts', 'invoices', 'billing_launches'];

/**
 * Plans, quotas and billing records (issue 6). `plans` is the platform's plan catalogue (global:
 * no tenant). The others belong to one tenant each (`tenant_id NOT NULL`): its billing account
 * (plan, payment status, time zone), its invoices (references and amounts only, never card data)
 * and one row per campaign launch, counted against the monthly quota of the calendar month (in
 * the tenant's time zone) it started in.
 */
export class Billing1765400000000 implements MigrationInterface {
  name = 'Billing1765400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE plans (
        plan_id text PRIMARY KEY,
        name text NOT NULL,
        monthly_message_quota integer,
        max_contacts integer,
        max_api_keys integer,
        price_reference text,
        retired_at timestamptz,
        defined_at timestamptz NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE billing_accounts (
        tenant_id uuid PRIMARY KEY,
        plan_id text,
        payment_status text NOT NULL,
        payment_status_since timestamptz,
        time_zone text NOT NULL,
        updated_at timestamptz NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE invoices (
        invoice_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        reference text NOT NULL,
        amount_minor bigint NOT NULL,
        currency text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        issued_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX invoices_tenant_issued ON invoices (tenant_id, issued_at DESC, invoice_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE billing_launches (
        campaign_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        month text NOT NULL,
        messages integer NOT NULL,
        started_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX billing_launches_tenant_month ON billing_launches (tenant_id, month)`,
    );
    for (const table of TENANT_TABLES)
      for (const sql of tenantRowSecuritySql(table)) await runner.query(sql);
    // The catalogue is the same for every tenant: readable by the tenant reader, no row policy.
    await runner.query(`GRANT SELECT ON plans TO ${TENANT_READER_ROLE}`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`REVOKE SELECT ON plans FROM ${TENANT_READER_ROLE}`);
    for (const table of TENANT_TABLES)
      for (const sql of dropTenantRowSecuritySql(table)) await runner.query(sql);
    await runner.query('DROP TABLE billing_launches');
    await runner.query('DROP TABLE invoices');
    await runner.query('DROP TABLE billing_accounts');
    await runner.query('DROP TABLE plans');
  }
}
