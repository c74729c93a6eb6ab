import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-tenant "send up to the quota and pause" (issue 6). `billing_accounts.over_quota`: what a
 * launch over what is left of the month's quota does (`refuse`, the default, or `pause`).
 * `billing_launches` counts a campaign in several months now: one row per count (`entry_id`: the
 * campaign id for its launch, as before, and one per quota release when it is resumed), in the
 * month it was made. `campaigns.paused_reason`: why a campaign is paused (`manual`, `quota`).
 * `billing_launches` keeps its row-level security (enabled in the billing migration).
 */
export class QuotaOverflow1765500000000 implements MigrationInterface {
  name = 'QuotaOverflow1765500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE billing_accounts ADD COLUMN over_quota text NOT NULL DEFAULT 'refuse'`,
    );
    await runner.query(`ALTER TABLE billing_launches ADD COLUMN entry_id text`);
    await runner.query(`UPDATE billing_launches SET entry_id = campaign_id::text`);
    await runner.query(`ALTER TABLE billing_launches ALTER COLUMN entry_id SET NOT NULL`);
    await runner.query(`ALTER TABLE billing_launches DROP CONSTRAINT billing_launches_pkey`);
    await runner.query(`ALTER TABLE billing_launches ADD PRIMARY KEY (entry_id)`);
    await runner.query(
      `CREATE INDEX billing_launches_campaign ON billing_launches (tenant_id, campaign_id)`,
    );
    await runner.query(`ALTER TABLE campaigns ADD COLUMN paused_reason text NULL`);
    await runner.query(`UPDATE campaigns SET paused_reason = 'manual' WHERE status = 'PAUSED'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE campaigns DROP COLUMN paused_reason`);
    await runner.query(`DROP INDEX billing_launches_campaign`);
    // Back to one row per campaign: its releases are dropped, its launch row stays.
    await runner.query(`DELETE FROM billing_launches WHERE entry_id <> campaign_id::text`);
    await runner.query(`ALTER TABLE billing_launches DROP CONSTRAINT billing_launches_pkey`);
    await runner.query(`ALTER TABLE billing_launches ADD PRIMARY KEY (campaign_id)`);
    await runner.query(`ALTER TABLE billing_launches DROP COLUMN entry_id`);
    await runner.query(`ALTER TABLE billing_accounts DROP COLUMN over_quota`);
  }
}
