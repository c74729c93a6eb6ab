import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Recipients1764600000000 implements MigrationInterface {
  name = 'Recipients1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE recipients (
        recipient_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        email_index text NULL,
        email jsonb NULL,
        name jsonb NULL,
        attributes jsonb NULL,
        status text NOT NULL,
        unsubscribed_all boolean NOT NULL,
        restricted boolean NOT NULL,
        objected boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        erased_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX recipients_tenant_email ON recipients (tenant_id, email_index) WHERE email_index IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX recipients_tenant_page ON recipients (tenant_id, created_at DESC, recipient_id DESC) WHERE status = 'active'`,
    );
    await runner.query(
      `CREATE INDEX recipients_tenant_updated ON recipients (tenant_id, updated_at) WHERE status = 'active'`,
    );
    await runner.query(`
      CREATE TABLE recipient_memberships (
        recipient_id uuid NOT NULL,
        list_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        status text NOT NULL,
        consent_source text NOT NULL,
        consent_collected_at timestamptz NOT NULL,
        consent_ip jsonb NULL,
        opt_in_request_id uuid NULL,
        opt_in_expires_at timestamptz NULL,
        confirmed_at timestamptz NULL,
        joined_at timestamptz NOT NULL,
        since timestamptz NOT NULL,
        PRIMARY KEY (recipient_id, list_id)
      )`);
    await runner.query(
      `CREATE INDEX recipient_memberships_list_page ON recipient_memberships (list_id, joined_at DESC, recipient_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE suppressions (
        tenant_id uuid NOT NULL,
        email_index text NOT NULL,
        reason text NOT NULL,
        reason_rank int NOT NULL,
        recipient_id uuid NULL,
        suppressed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, email_index)
      )`);
    await runner.query(
      `CREATE INDEX suppressions_tenant_page ON suppressions (tenant_id, suppressed_at DESC, email_index DESC)`,
    );
    await runner.query(`
      CREATE TABLE erasure_receipts (
        recipient_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        request_id uuid NOT NULL,
        erased_at timestamptz NOT NULL,
        receipt jsonb NOT NULL,
        receipt_hash text NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX erasure_receipts_tenant_page ON erasure_receipts (tenant_id, erased_at DESC, recipient_id DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE erasure_receipts');
    await runner.query('DROP TABLE suppressions');
    await runner.query('DROP TABLE recipient_memberships');
    await runner.query('DROP TABLE recipients');
  }
}
