import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API usage metrics (issue 5, item 5; policy §2C "API usage metrics"): requests, cost points and
 * errors per tenant, caller (API key or account), operation and UTC day. Operational state, not a
 * projection: written by the API in batches (`ApiUsageRecorder`), never rebuilt by a replay. It
 * holds ids and counts only, no personal data, and is pruned after
 * `MAILPACKR_API_USAGE_RETENTION_DAYS`.
 */
export class ApiUsage1765200000000 implements MigrationInterface {
  name = 'ApiUsage1765200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE api_usage_daily (
        tenant_id uuid NOT NULL,
        caller text NOT NULL,
        operation text NOT NULL,
        day date NOT NULL,
        requests bigint NOT NULL,
        cost bigint NOT NULL,
        errors bigint NOT NULL,
        PRIMARY KEY (tenant_id, day, caller, operation)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE api_usage_daily');
  }
}
