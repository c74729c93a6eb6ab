import { randomBytes } from 'node:crypto';

import pg from 'pg';

export interface ScratchDatabase {
  connectionString: string;
  dispose(): Promise<void>;
}

/**
 * A fresh PostgreSQL database `mp_bench_<random>` next to the one `databaseUrl` names, dropped
 * (with FORCE) by `dispose`. Benchmarks measure on it so they never touch anyone's data.
 */
export const createScratchDatabase = async (
  databaseUrl: string,
  log: (line: string) => void,
): Promise<ScratchDatabase> => {
  const database = `mp_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  log(`[postgres] created database ${database}`);
  return {
    connectionString: url.toString(),
    dispose: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        log(`[postgres] dropped database ${database}`);
      } finally {
        await client.end();
      }
    },
  };
};
