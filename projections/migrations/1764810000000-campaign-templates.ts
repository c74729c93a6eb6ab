import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Campaigns reference a template revision (both null: the campaign has its own MJML). */
export class CampaignTemplates1764810000000 implements MigrationInterface {
  name = 'CampaignTemplates1764810000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE campaigns ADD COLUMN template_id uuid NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN template_revision integer NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE campaigns DROP COLUMN template_revision');
    await runner.query('ALTER TABLE campaigns DROP COLUMN template_id');
  }
}
