import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign launch: the launch columns of `campaigns`, one row per message (`messages`), and the
 * per-campaign message counts by status (`campaign_delivery`), kept by the messages projection so
 * a campaign's progress is never a COUNT(*) at query time.
 */
export class CampaignLaunch1764900000000 implements MigrationInterface {
  name = 'CampaignLaunch1764900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE campaigns ADD COLUMN started_at timestamptz NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN audience jsonb NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN queued_at timestamptz NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN queued_messages integer NULL`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN paused_at timestamptz NULL`);
    // The scheduler's question: which scheduled campaigns are due?
    await runner.query(
      `CREATE INDEX campaigns_due ON campaigns (send_at) WHERE status = 'SCHEDULED'`,
    );
    await runner.query(`
      CREATE TABLE messages (
        message_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        campaign_id uuid NOT NULL,
        recipient_id uuid NOT NULL,
        list_id uuid NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        last_reply text NULL,
        next_attempt_at timestamptz NULL,
        queued_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(`CREATE INDEX messages_campaign_page ON messages (campaign_id, message_id)`);
    await runner.query(
      `CREATE INDEX messages_campaign_status_page ON messages (campaign_id, status, message_id)`,
    );
    await runner.query(`
      CREATE TABLE campaign_delivery (
        campaign_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        queued integer NOT NULL DEFAULT 0,
        sending integer NOT NULL DEFAULT 0,
        sent integer NOT NULL DEFAULT 0,
        deferred integer NOT NULL DEFAULT 0,
        bounced integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        cancelled integer NOT NULL DEFAULT 0
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE campaign_delivery');
    await runner.query('DROP TABLE messages');
    await runner.query('DROP INDEX campaigns_due');
    for (const column of ['paused_at', 'queued_messages', 'queued_at', 'audience', 'started_at']) {
      await runner.query(`ALTER TABLE campaigns DROP COLUMN ${column}`);
    }
  }
}
