import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { EmbeddedPostgres } from '#event-store';
import { packageRoot } from '#platform';

/** A database a test can own: created fresh, dropped at the end. */
export interface TestDatabase {
  readonly name: 'pglite' | 'postgres';
  readonly connectionString: string;
  drop(): Promise<void>;
}

/** The SQL backends the int and e2e tiers run against: PGlite always, Postgres when DATABASE_URL is set. */
export const sqlBackends = (): Array<'pglite' | 'postgres'> =>
  process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/**
 * A fresh PGlite costs an initdb (~5 s); loading a dump of one costs half. The dump is made once
 * per PGlite version and shared by every test file through a file in the temp folder.
 */
const pgliteTemplate = async (): Promise<Blob> => {
  const { version } = JSON.parse(
    readFileSync(join(packageRoot(), 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ) as { version: string };
  const file = join(tmpdir(), `mailpackr-pglite-template-${version}.tar`);
  if (!existsSync(file)) {
    const seed = await EmbeddedPostgres.start();
    const dump = Buffer.from(await (await seed.dump()).arrayBuffer());
    await seed.stop();
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, dump);
    renameSync(partial, file); // atomic: parallel workers never read half a template
  }
  return new Blob([readFileSync(file)]);
};

export const createTestDatabase = async (kind: 'pglite' | 'postgres'): Promise<TestDatabase> => {
  if (kind === 'pglite') {
    const embedded = await EmbeddedPostgres.start(undefined, { fromDump: await pgliteTemplate() });
    return {
      name: 'pglite',
      connectionString: embedded.connectionString,
      drop: () => embedded.stop(),
    };
  }
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is not set');
  const database = `mp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    name: 'postgres',
    connectionString: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    },
  };
};

/** Announces, by name, a backend that this run skips, so a green run never hides what it left out. */
export const reportSkipped = (what: string, reason: string): void => {
  process.stdout.write(`\n  SKIPPED: ${what} (${reason})\n`);
};
