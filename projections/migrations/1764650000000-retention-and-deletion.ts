import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RetentionAndDeletion1764650000000 implements MigrationInterface {
  name = 'RetentionAndDeletion1764650000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE tenants ADD COLUMN retention_policies jsonb NOT NULL DEFAULT '{}'::jsonb`,
    );
    await runner.query(`ALTER TABLE tenants ADD COLUMN owner_erased_at timestamptz NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN deleted_at timestamptz NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE campaigns DROP COLUMN deleted_at');
    await runner.query('ALTER TABLE tenants DROP COLUMN owner_erased_at');
    await runner.query('ALTER TABLE tenants DROP COLUMN retention_policies');
  }
}
