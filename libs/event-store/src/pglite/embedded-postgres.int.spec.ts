import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';

import { EmbeddedPostgres } from '#event-store';

/**
 * PGlite is one backend session shared by every connection of the embedded server. Each
 * connection must still behave as its own session: no statement of one connection may run inside
 * another connection's request or transaction (the interleaving that lost writes with
 * pglite-socket 0.2).
 */
describe('Embedded PostgreSQL (PGlite over the wire protocol)', () => {
  let embedded: EmbeddedPostgres;
  let writers: pg.Pool;
  let others: pg.Pool;
  beforeAll(async () => {
    embedded = await EmbeddedPostgres.start();
    writers = new pg.Pool({ connectionString: embedded.connectionString, max: 6 });
    others = new pg.Pool({ connectionString: embedded.connectionString, max: 6 });
    await others.query('CREATE TABLE autocommitted (id int PRIMARY KEY)');
    await others.query('CREATE TABLE counter (k int PRIMARY KEY, v int NOT NULL)');
    await others.query('INSERT INTO counter VALUES (1, 0)');
  });
  afterAll(async () => {
    await writers.end();
    await others.end();
    await embedded.stop();
  });

  describe('When transactions that sometimes roll back race autocommit statements', () => {
    it('should keep every autocommit write, count only committed transactions, and never mix up results', async () => {
      let stop = false;
      let commits = 0;
      const transactions = async (): Promise<void> => {
        while (!stop) {
          const client = await writers.connect();
          try {
            await client.query('BEGIN');
            await client.query('SELECT v FROM counter WHERE k = $1 FOR UPDATE', [1]);
            await client.query('UPDATE counter SET v = v + 1 WHERE k = $1', [1]);
            if (Math.random() < 0.3) await client.query('ROLLBACK');
            else {
              await client.query('COMMIT');
              commits++;
            }
          } finally {
            client.release();
          }
        }
      };
      const loops = [transactions(), transactions(), transactions()];
      let mixedUp = 0;
      await Promise.all(
        Array.from({ length: 600 }, async (_, i) => {
          await others.query('INSERT INTO autocommitted VALUES ($1)', [i]);
          const { rows } = await others.query<{ echo: string }>('SELECT $1::text AS echo', [
            `v${i}`,
          ]);
          if (rows[0]?.echo !== `v${i}`) mixedUp++;
        }),
      );
      stop = true;
      await Promise.all(loops);

      expect(mixedUp).toBe(0);
      expect((await others.query('SELECT count(*)::int AS n FROM autocommitted')).rows[0]).toEqual({
        n: 600,
      });
      expect((await others.query('SELECT v FROM counter')).rows[0]).toEqual({ v: commits });
    });
  });

  describe('When a client disconnects inside a transaction', () => {
    it('should roll it back and keep serving the others', async () => {
      const client = new pg.Client({ connectionString: embedded.connectionString });
      await client.connect();
      await client.query('BEGIN');
      await client.query('INSERT INTO autocommitted VALUES (-1)');
      await client.end();
      expect(
        (await others.query('SELECT count(*)::int AS n FROM autocommitted WHERE id = -1')).rows[0],
      ).toEqual({ n: 0 });
    });
  });
});
