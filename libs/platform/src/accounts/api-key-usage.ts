import type pg from 'pg';

/** A key's last-used time is written at most this often. */
export const API_KEY_USAGE_INTERVAL_MS = 60_000;

const MAX_REMEMBERED_KEYS = 100_000;

/**
 * When each API key was last used: operational state in `api_key_usage` (not a projection, no
 * event), written at most once a minute per key and process.
 */
export class ApiKeyUsage {
  readonly #written = new Map<string, number>();

  constructor(private readonly db: pg.Pool) {}

  async touch(keyId: string, now: Date): Promise<void> {
    const last = this.#written.get(keyId);
    if (
      last !== undefined &&
      now.getTime() - last < API_KEY_USAGE_INTERVAL_MS &&
      now.getTime() >= last
    )
      return;
    if (this.#written.size >= MAX_REMEMBERED_KEYS) this.#written.clear();
    this.#written.set(keyId, now.getTime());
    await this.db.query(
      `INSERT INTO api_key_usage (key_id, last_used_at) VALUES ($1, $2)
       ON CONFLICT (key_id) DO UPDATE SET last_used_at = EXCLUDED.last_used_at
        WHERE api_key_usage.last_used_at < EXCLUDED.last_used_at`,
      [keyId, now],
    );
  }

  /** Last-used times of these keys (absent: never used since this was recorded). */
  async lastUsed(keyIds: readonly string[]): Promise<Map<string, Date>> {
    if (keyIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ key_id: string; last_used_at: Date }>(
      'SELECT key_id, last_used_at FROM api_key_usage WHERE key_id = ANY($1::uuid[])',
      [keyIds],
    );
    return new Map(rows.map((r) => [r.key_id, r.last_used_at]));
  }
}
