import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Templates1764800000000 implements MigrationInterface {
  name = 'Templates1764800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE templates (
        template_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        name text NOT NULL,
        revision integer NOT NULL,
        mjml text NOT NULL,
        html text NOT NULL,
        merge_fields text[] NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX templates_tenant_page ON templates (tenant_id, created_at DESC, template_id DESC) WHERE deleted_at IS NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE templates');
  }
}
