import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ContactLists1764500000000 implements MigrationInterface {
  name = 'ContactLists1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE contact_lists (
        list_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX contact_lists_tenant_page ON contact_lists (tenant_id, created_at DESC, list_id DESC) WHERE deleted_at IS NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE contact_lists');
  }
}
