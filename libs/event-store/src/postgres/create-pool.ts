import pg from 'pg';

/** Every SQL connection of MailPackr goes through here, so session settings are set once. */
export const createPool = (connectionString: string, max = 10): pg.Pool => {
  const pool = new pg.Pool({
    connectionString,
    max,
    // An open writer delays every log reader (DESIGN §3): never let a transaction idle.
    idle_in_transaction_session_timeout: 30_000,
  });
  // An idle client that dies (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
};
