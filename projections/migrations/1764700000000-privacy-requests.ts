import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PrivacyRequests1764700000000 implements MigrationInterface {
  name = 'PrivacyRequests1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE privacy_requests (
        request_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        kind text NOT NULL,
        regulation text NOT NULL,
        subject_type text NOT NULL,
        subject_id uuid NULL,
        reference text NULL,
        status text NOT NULL,
        outcome text NULL,
        received_at timestamptz NOT NULL,
        due_at timestamptz NOT NULL,
        extended boolean NOT NULL,
        opened_by text NOT NULL,
        closed_at timestamptz NULL,
        closed_by text NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX privacy_requests_tenant_page ON privacy_requests (tenant_id, received_at DESC, request_id DESC)`,
    );
    await runner.query(
      `CREATE INDEX privacy_requests_tenant_due ON privacy_requests (tenant_id, status, due_at)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE privacy_requests');
  }
}
