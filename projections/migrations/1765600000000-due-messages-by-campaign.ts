import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery worker reads due messages per sending campaign and status through
 * `messages_campaign_status_page` (issue 4, speed): the `messages_due` partial index in queue
 * order is no longer read, and every message insert and status change paid for it.
 */
export class DueMessagesByCampaign1765600000000 implements MigrationInterface {
  name = 'DueMessagesByCampaign1765600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX IF EXISTS messages_due`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX messages_due ON messages (queued_at, message_id)
        WHERE status IN ('queued', 'deferred', 'sending')`,
    );
  }
}
