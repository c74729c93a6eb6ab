import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { ApiKeyRole } from '#domain';
import type pg from 'pg';

export const SESSION_TOKEN_PREFIX = 'mps_';

/** How often a session's last-seen time (and so its idle expiry) is written at most. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

/** How long a session that ended (expired or revoked) is kept, so its token reads as such. */
export const ENDED_SESSION_KEPT_MS = 24 * 3_600_000;

export const generateSessionToken = (): string =>
  `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export const hashSessionToken = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('hex');

export interface SessionLifetimes {
  idleMinutes: number;
  maxHours: number;
}

export interface IssuedSession {
  sessionId: string;
  /** `mps_…`: shown once to the client, only its SHA-256 is stored. */
  token: string;
  expiresAt: Date;
  idleExpiresAt: Date;
}

export type SessionCheck =
  | {
      status: 'active';
      sessionId: string;
      accountId: string;
      tenantId: string;
      /** The account's current role (from the `accounts` read model), not the one at login. */
      role: ApiKeyRole;
    }
  | { status: 'unknown' | 'expired' | 'revoked' };

interface SessionLookupRow {
  session_id: string;
  account_id: string;
  tenant_id: string;
  last_seen_at: Date;
  idle_expires_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  role: string | null;
  erased_at: Date | null;
}

const minutes = (n: number) => n * 60_000;
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

/**
 * Login sessions: operational state in the `sessions` table, **not** a projection (no event feeds
 * it and no rebuild or replay touches it). A session has an absolute lifetime and an idle one
 * that each authenticated request slides (written at most once a minute per session).
 */
export class SessionStore {
  constructor(
    private readonly db: pg.Pool,
    private readonly lifetimes: SessionLifetimes,
  ) {}

  async create(input: { accountId: string; tenantId: string; now: Date }): Promise<IssuedSession> {
    const token = generateSessionToken();
    const sessionId = randomUUID();
    const { now } = input;
    const expiresAt = new Date(now.getTime() + this.lifetimes.maxHours * 3_600_000);
    const idleExpiresAt = earliest(
      new Date(now.getTime() + minutes(this.lifetimes.idleMinutes)),
      expiresAt,
    );
    await this.db.query(
      `INSERT INTO sessions (session_id, token_hash, account_id, tenant_id, created_at,
         last_seen_at, idle_expires_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, NULL)`,
      [
        sessionId,
        hashSessionToken(token),
        input.accountId,
        input.tenantId,
        now,
        idleExpiresAt,
        expiresAt,
      ],
    );
    // The account's sessions that ended over a day ago are of no use any more: dropped here, so
    // the table holds about one row per open session (a token that old then reads as unknown).
    await this.db.query(
      `DELETE FROM sessions
        WHERE account_id = $1
          AND LEAST(expires_at, idle_expires_at, COALESCE(revoked_at, expires_at)) < $2`,
      [input.accountId, new Date(now.getTime() - ENDED_SESSION_KEPT_MS)],
    );
    return { sessionId, token, expiresAt, idleExpiresAt };
  }

  /** The session a token opens, with the account's current role; slides the idle expiry. */
  async check(token: string, now: Date): Promise<SessionCheck> {
    const { rows } = await this.db.query<SessionLookupRow>(
      `SELECT s.session_id, s.account_id, s.tenant_id, s.last_seen_at, s.idle_expires_at,
              s.expires_at, s.revoked_at, a.role, a.erased_at
         FROM sessions s LEFT JOIN accounts a ON a.account_id = s.account_id
        WHERE s.token_hash = $1`,
      [hashSessionToken(token)],
    );
    const row = rows[0];
    if (!row) return { status: 'unknown' };
    if (row.revoked_at || row.erased_at || !row.role) return { status: 'revoked' };
    const at = now.getTime();
    if (at >= row.expires_at.getTime() || at >= row.idle_expires_at.getTime())
      return { status: 'expired' };
    if (at - row.last_seen_at.getTime() >= SESSION_TOUCH_INTERVAL_MS) {
      const idle = earliest(new Date(at + minutes(this.lifetimes.idleMinutes)), row.expires_at);
      await this.db.query(
        `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3
          WHERE session_id = $1 AND revoked_at IS NULL AND last_seen_at < $2`,
        [row.session_id, now, idle],
      );
    }
    return {
      status: 'active',
      sessionId: row.session_id,
      accountId: row.account_id,
      tenantId: row.tenant_id,
      role: row.role as ApiKeyRole,
    };
  }

  /** Revokes one session (logout). Idempotent. */
  async revoke(sessionId: string, now: Date): Promise<void> {
    await this.db.query(
      `UPDATE sessions SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId, now],
    );
  }

  /**
   * Revokes an account's open sessions in its tenant, except `keep` (the caller's own, after a
   * password change). Returns how many were open.
   */
  async revokeAccount(input: {
    tenantId: string;
    accountId: string;
    now: Date;
    keep?: string;
  }): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE sessions SET revoked_at = $3
        WHERE account_id = $1 AND tenant_id = $2 AND revoked_at IS NULL
          AND expires_at > $3 AND idle_expires_at > $3
          AND ($4::uuid IS NULL OR session_id <> $4::uuid)
`,
      [input.accountId, input.tenantId, input.now, input.keep ?? null],
    );
    return rowCount ?? 0;
  }
}
