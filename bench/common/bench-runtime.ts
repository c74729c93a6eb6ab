import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { MailpackrRuntime, loadConfig } from '#platform';

import { log } from './bench-cli.js';
import { type ScratchDatabase, createScratchDatabase } from './scratch-database.js';

export interface BenchRuntime {
  readonly runtime: MailpackrRuntime;
  /** Closes the runtime, drops the scratch database and removes the data folder. */
  close(): Promise<void>;
}

/**
 * A MailPackr runtime for one benchmark, in production mode on a fresh store: an embedded PGlite
 * in a new data folder, or (`postgres`) a scratch database made from `databaseUrl`.
 */
export const startBenchRuntime = async (
  options: { backend: 'pglite' | 'postgres'; databaseUrl?: string },
  name: string,
): Promise<BenchRuntime> => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `mp-bench-${name}-`));
  let scratch: ScratchDatabase | undefined;
  let runtime: MailpackrRuntime | undefined;
  const close = async () => {
    await runtime?.close();
    await scratch?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (options.backend === 'postgres')
      scratch = await createScratchDatabase(options.databaseUrl!, log);
    runtime = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL: scratch?.connectionString,
          MAILPACKR_KEK: randomBytes(32).toString('base64'),
          MAILPACKR_DATA_DIR: dataDir,
          NODE_ENV: 'production',
          MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
        },
      ),
    );
    return { runtime, close };
  } catch (error) {
    await close();
    throw error;
  }
};
