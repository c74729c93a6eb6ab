import { mkdirSync } from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

import { PgliteWireServer } from './pglite-wire-server.js';

/**
 * Embedded PostgreSQL: PGlite persisted in a data folder (or in memory), served in-process over
 * the PostgreSQL wire protocol on a loopback port (`PgliteWireServer`) so the ordinary `pg` pool
 * and TypeORM's postgres driver work unchanged. The embedded default and production share one
 * code path and one SQL.
 *
 * PGlite runs one query at a time and does not fsync: for trying and developing, not production.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PgliteWireServer,
    readonly connectionString: string,
  ) {}

  /** `dataDir` undefined means in memory. */
  static async start(
    dataDir?: string,
    options: { fromDump?: Blob } = {},
  ): Promise<EmbeddedPostgres> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create({
      dataDir: dataDir ?? 'memory://',
      loadDataDir: options.fromDump,
    });
    const server = new PgliteWireServer(db);
    const { host, port } = await server.listen();
    return new EmbeddedPostgres(
      db,
      server,
      `postgres://postgres@${host}:${port}/postgres?sslmode=disable`,
    );
  }

  /** A tarball of the whole cluster, to start copies from (`fromDump`) without another initdb. */
  dump(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.db.close();
  }
}

/**
 * Whether the database behind this pool is PGlite (ours, or another process's served over the wire
 * protocol): every connection then shares one backend session, so a session-level `SET` on one
 * connection holds for all of them.
 */
export const sharesOneSession = async (pool: pg.Pool): Promise<boolean> => {
  const { rows } = await pool.query<{ pglite: boolean }>(
    "SELECT version() LIKE '%(PGlite %' AS pglite",
  );
  return rows[0]?.pglite === true;
};
