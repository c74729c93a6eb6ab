import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialReadModels1764400000000 implements MigrationInterface {
  name = 'InitialReadModels1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE mp_projection_checkpoints (
        name text PRIMARY KEY,
        position text NULL,
        events_applied bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NULL
      )`);
    await runner.query(`
      CREATE TABLE campaigns (
        campaign_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        status text NOT NULL,
        name text NOT NULL,
        subject text NOT NULL,
        from_address text NOT NULL,
        from_name text NULL,
        mjml_body text NOT NULL,
        list_ids uuid[] NOT NULL,
        send_at timestamptz NULL,
        cancel_reason text NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        scheduled_at timestamptz NULL,
        cancelled_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX campaigns_tenant_page ON campaigns (tenant_id, created_at DESC, campaign_id DESC)`,
    );
    await runner.query(
      `CREATE INDEX campaigns_tenant_status_page ON campaigns (tenant_id, status, created_at DESC, campaign_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE tenants (
        tenant_id uuid PRIMARY KEY,
        name text NOT NULL,
        plan text NOT NULL,
        owner_account_id uuid NULL,
        owner_email jsonb NULL,
        owner_name jsonb NULL,
        created_at timestamptz NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE api_keys (
        key_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        key_hash text NOT NULL UNIQUE,
        role text NOT NULL,
        label text NOT NULL,
        issued_at timestamptz NOT NULL,
        revoked_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE api_keys');
    await runner.query('DROP TABLE tenants');
    await runner.query('DROP TABLE campaigns');
    await runner.query('DROP TABLE mp_projection_checkpoints');
  }
}
