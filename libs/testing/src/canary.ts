import { expect } from '@jest/globals';
import type pg from 'pg';

/**
 * Every spelling in which a marker could sit in a row's text: plain, hex (bytea output), and
 * base64 / base64url at each of the three byte alignments it could start on inside a longer value.
 */
export const spellingsOf = (marker: string): string[] => {
  const bytes = Buffer.from(marker, 'utf8');
  const spellings = [marker.toLowerCase(), bytes.toString('hex')];
  for (let offset = 0; offset < 3; offset++) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(encoding);
      // Drop the characters that also encode the neighbouring bytes.
      const core = encoded.slice(offset === 0 ? 0 : 4, encoded.length - 4);
      spellings.push(core.toLowerCase());
    }
  }
  return spellings;
};

/** Every user table of the database, each row cast to text, searched for every spelling of `marker`. */
export const tablesHoldingMarker = async (pool: pg.Pool, marker: string): Promise<string[]> => {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  expect(tables.length).toBeGreaterThan(0);
  const spellings = spellingsOf(marker);
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
    if (rows.some(({ row }) => spellings.some((s) => row.toLowerCase().includes(s))))
      found.push(name);
  }
  return found;
};
