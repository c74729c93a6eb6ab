import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts and sessions (issue 5, item 1).
 *
 * - `accounts` is a read model (projection `accounts`): rebuilt from the log like the others.
 * - `api_keys.account_id`: the account a key was issued by from its session (from `ApiKeyIssued`).
 * - `sessions` and `api_key_usage` are **operational state, not projections**: they are written by
 *   the API directly (login, logout, the sliding idle expiry, a key's last use), no event feeds
 *   them, and a projection rebuild or an audit replay never touches them. Session tokens are
 *   stored as SHA-256 only.
 */
export class AccountsAndSessions1765100000000 implements MigrationInterface {
  name = 'AccountsAndSessions1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE accounts (
        account_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        email_index text NULL,
        email jsonb NULL,
        name jsonb NULL,
        company jsonb NULL,
        role text NOT NULL,
        registered_at timestamptz NOT NULL,
        erased_at timestamptz NULL,
        last_revision bigint NOT NULL
      )`);
    await runner.query(`CREATE UNIQUE INDEX accounts_email_index ON accounts (email_index)`);
    await runner.query(
      `CREATE INDEX accounts_tenant ON accounts (tenant_id, registered_at, account_id)`,
    );
    await runner.query(`ALTER TABLE api_keys ADD COLUMN account_id uuid NULL`);
    await runner.query(`CREATE INDEX api_keys_account ON api_keys (account_id)`);
    await runner.query(`
      CREATE TABLE sessions (
        session_id uuid PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        account_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        idle_expires_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NULL
      )`);
    await runner.query(`CREATE INDEX sessions_account ON sessions (account_id)`);
    await runner.query(`
      CREATE TABLE api_key_usage (
        key_id uuid PRIMARY KEY,
        last_used_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE api_key_usage');
    await runner.query('DROP TABLE sessions');
    await runner.query('DROP INDEX api_keys_account');
    await runner.query('ALTER TABLE api_keys DROP COLUMN account_id');
    await runner.query('DROP TABLE accounts');
  }
}
