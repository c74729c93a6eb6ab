import type { MigrationInterface, QueryRunner } from 'typeorm';

import {
  dropTenantRowSecuritySql,
  tenantReaderRoleSql,
  tenantRowSecuritySql,
} from '../core/row-level-security.js';

/** The read models that belong to one tenant each (a `tenant_id` column), as of this migration. */
const TENANT_TABLES = [
  'tenants',
  'api_keys',
  'accounts',
  'sessions',
  'api_usage_daily',
  'contact_lists',
  'recipients',
  'recipient_memberships',
  'suppressions',
  'erasure_receipts',
  'privacy_requests',
  'templates',
  'campaigns',
  'messages',
  'campaign_delivery',
  'tenant_delivery_hourly',
];

/**
 * Tenant isolation, second line (issue 5, item 3): row-level security on every tenant read model,
 * for the role the API reads as (`core/row-level-security.ts`). A later tenant table adds its own
 * `tenantRowSecuritySql(...)` in its migration.
 */
export class TenantRowSecurity1765300000000 implements MigrationInterface {
  name = 'TenantRowSecurity1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of tenantReaderRoleSql()) await runner.query(sql);
    for (const table of TENANT_TABLES)
      for (const sql of tenantRowSecuritySql(table)) await runner.query(sql);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of TENANT_TABLES)
      for (const sql of dropTenantRowSecuritySql(table)) await runner.query(sql);
    await runner.query('DROP FUNCTION IF EXISTS mp_current_tenant()');
  }
}
