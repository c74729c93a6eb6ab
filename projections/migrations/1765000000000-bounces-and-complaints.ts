import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounces and complaints (issue 4, item 5): how each message bounced, whether it drew a complaint
 * or an unsubscribe, the campaign counts of those, the tenant's hourly delivery figures the
 * automatic sending pause reads, the tenant's pause itself, and when a campaign completed. Also the two indexes delivery
 * reads by: due messages (a partial index that shrinks as messages finish) and one recipient's
 * messages.
 */
export class BouncesAndComplaints1765000000000 implements MigrationInterface {
  name = 'BouncesAndComplaints1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE messages ADD COLUMN bounce_kind text NULL`);
    await runner.query(`ALTER TABLE messages ADD COLUMN complained_at timestamptz NULL`);
    await runner.query(`ALTER TABLE messages ADD COLUMN unsubscribed_at timestamptz NULL`);
    await runner.query(
      `CREATE INDEX messages_due ON messages (queued_at, message_id)
        WHERE status IN ('queued', 'deferred', 'sending')`,
    );
    await runner.query(
      `CREATE INDEX messages_recipient ON messages (recipient_id, queued_at, message_id)`,
    );
    for (const column of [
      'bounced_hard',
      'bounced_soft',
      'bounced_blocked',
      'complained',
      'unsubscribed',
    ]) {
      await runner.query(
        `ALTER TABLE campaign_delivery ADD COLUMN ${column} integer NOT NULL DEFAULT 0`,
      );
    }
    await runner.query(`
      CREATE TABLE tenant_delivery_hourly (
        tenant_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        attempted integer NOT NULL DEFAULT 0,
        bounced integer NOT NULL DEFAULT 0,
        complained integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, hour)
      )`);
    await runner.query(`ALTER TABLE campaigns ADD COLUMN completed_at timestamptz NULL`);
    await runner.query(`ALTER TABLE tenants ADD COLUMN sending_paused_at timestamptz NULL`);
    await runner.query(`ALTER TABLE tenants ADD COLUMN sending_pause jsonb NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE tenants DROP COLUMN sending_pause');
    await runner.query('ALTER TABLE tenants DROP COLUMN sending_paused_at');
    await runner.query('DROP TABLE tenant_delivery_hourly');
    await runner.query('ALTER TABLE campaigns DROP COLUMN completed_at');
    for (const column of [
      'unsubscribed',
      'complained',
      'bounced_blocked',
      'bounced_soft',
      'bounced_hard',
    ]) {
      await runner.query(`ALTER TABLE campaign_delivery DROP COLUMN ${column}`);
    }
    await runner.query('DROP INDEX messages_recipient');
    await runner.query('DROP INDEX messages_due');
    for (const column of ['unsubscribed_at', 'complained_at', 'bounce_kind']) {
      await runner.query(`ALTER TABLE messages DROP COLUMN ${column}`);
    }
  }
}
