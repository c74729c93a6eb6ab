import { mkdirSync } from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Embedded PostgreSQL: PGlite persisted in a data folder (or in memory), served in-process over
 * pglite-socket on a loopback port so the ordinary `pg` pool and TypeORM's postgres driver work
 * unchanged. The embedded default and production share one code path and one SQL.
 *
 * PGlite runs one query at a time and does not fsync: for trying and developing, not production.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
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
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await server.start();
    const [host, port] = server.getServerConn().split(':');
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
    await this.server.stop();
    await this.db.close();
  }
}
