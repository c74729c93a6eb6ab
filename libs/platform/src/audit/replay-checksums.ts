import { type SqlExecutor, quoteIdent } from '#projections';

/**
 * Columns left out of the replay comparison, by read-model table. Empty today: every read-model
 * column is a function of the events (times such as `updated_at` come from the event data, never
 * from `now()`). The only wall-clock columns, `mp_projection_checkpoints.updated_at` and its
 * batch-dependent `events_applied`, belong to the checkpoint table, which is not a read model and
 * is not compared: the audit compares checkpoint positions instead.
 */
export const REPLAY_EXCLUDED_COLUMNS: Readonly<Record<string, readonly string[]>> = {};

/** Where a read-model table lives and what the comparison hashes. */
export interface TableShape {
  table: string;
  /** Schema of the live table (usually `public`). */
  schema: string;
  /** Hashed columns, in table order, minus the excluded ones. */
  columns: readonly string[];
  /** Primary key columns (all columns when the table has none). */
  key: readonly string[];
  /** Whether rows carry a `tenant_id` (a tenant-scoped comparison needs it). */
  tenantScoped: boolean;
}

/** Row count and order-independent checksum of one table's rows. */
export interface TableChecksum {
  rows: number;
  checksum: string;
}

export type RowDifferenceKind = 'changed' | 'only-live' | 'only-replay';

/** A row whose content differs between the live and the replayed read model. */
export interface RowDifference {
  /** `column=value` for each key column: ids and keyed hashes only, never personal data. */
  key: string;
  kind: RowDifferenceKind;
}

/**
 * Session settings that fix every value's text form, so the same row hashes the same on any
 * connection: the hash is over `ROW(...)::text`. Applied with SET LOCAL inside each transaction
 * (the embedded server shares one session between connections).
 */
export const DETERMINISTIC_TEXT_SETTINGS = [
  "SET LOCAL TimeZone TO 'UTC'",
  "SET LOCAL DateStyle TO 'ISO, YMD'",
  "SET LOCAL IntervalStyle TO 'postgres'",
  'SET LOCAL extra_float_digits TO 1',
  "SET LOCAL bytea_output TO 'hex'",
].join('; ');

export const qualified = (schema: string, table: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(table)}`;

/** Reads a live table's schema, columns and primary key from the catalog. */
export const tableShape = async (sql: SqlExecutor, table: string): Promise<TableShape> => {
  const name = quoteIdent(table);
  const [found] = await sql.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [name],
  );
  if (!found) throw new Error(`Read-model table not found: ${table}`);
  const columns = await sql.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [name],
  );
  const key = await sql.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [name],
  );
  const excluded = new Set(REPLAY_EXCLUDED_COLUMNS[table] ?? []);
  const all = columns.map((c) => c.name);
  return {
    table,
    schema: found.schema,
    columns: all.filter((c) => !excluded.has(c)),
    key: key.length > 0 ? key.map((k) => k.name) : all,
    tenantScoped: all.includes('tenant_id'),
  };
};

const keyList = (shape: TableShape): string => shape.key.map(quoteIdent).join(', ');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `SELECT <key columns>, <row hash> FROM <relation>`: one md5 per row over its text form; only
 * one tenant's rows when `tenantId` is given (inlined, as `CREATE TABLE AS` takes no parameters:
 * checked to be a UUID first).
 */
export const digestQuery = (shape: TableShape, relation: string, tenantId?: string): string => {
  if (tenantId !== undefined && (!UUID.test(tenantId) || !shape.tenantScoped)) {
    throw new Error(`Cannot scope ${shape.table} to tenant ${tenantId}`);
  }
  return `SELECT ${keyList(shape)}, md5(ROW(${shape.columns.map(quoteIdent).join(', ')})::text) AS row_hash
     FROM ${relation}${tenantId ? ` WHERE tenant_id = '${tenantId}'::uuid` : ''}`;
};

/**
 * Freezes a live table's row digests into `target` (run inside the snapshot transaction that also
 * reads the checkpoints, so digests and checkpoint positions belong together).
 */
export const freezeDigests = async (
  sql: SqlExecutor,
  shape: TableShape,
  target: string,
  tenantId?: string,
): Promise<void> => {
  await sql.query(
    `CREATE TABLE ${target} AS ${digestQuery(shape, qualified(shape.schema, shape.table), tenantId)}`,
  );
};

/**
 * Count and checksum of a digest relation. The checksum sums the two 64-bit halves of every row
 * hash (exact numeric sums), so it needs no sort and no string of all rows, and is the same
 * whatever order the rows were written in; md5 of `count:sumA:sumB` makes it one short value.
 */
export const checksumOf = async (sql: SqlExecutor, digest: string): Promise<TableChecksum> => {
  const [row] = await sql.query<{ rows: string; a: string; b: string }>(
    `SELECT count(*)::text AS rows,
            coalesce(sum(('x' || substr(row_hash, 1, 16))::bit(64)::bigint::numeric), 0)::text AS a,
            coalesce(sum(('x' || substr(row_hash, 17, 16))::bit(64)::bigint::numeric), 0)::text AS b
       FROM (${digest}) AS d`,
  );
  const { rows, a, b } = row!;
  const [hashed] = await sql.query<{ checksum: string }>('SELECT md5($1) AS checksum', [
    `${rows}:${a}:${b}`,
  ]);
  return { rows: Number(rows), checksum: hashed!.checksum };
};

/** The first `limit` rows (in key order) that differ between two digests. */
export const firstDifferences = async (
  sql: SqlExecutor,
  shape: TableShape,
  liveDigest: string,
  replayDigest: string,
  limit: number,
): Promise<RowDifference[]> => {
  const keys = keyList(shape);
  const rows = await sql.query<Record<string, string | null> & { kind: RowDifferenceKind }>(
    `SELECT ${shape.key.map((k) => `${quoteIdent(k)}::text AS ${quoteIdent(k)}`).join(', ')},
            CASE WHEN l.row_hash IS NULL THEN 'only-replay'
                 WHEN r.row_hash IS NULL THEN 'only-live' ELSE 'changed' END AS kind
       FROM (${liveDigest}) AS l FULL JOIN (${replayDigest}) AS r USING (${keys})
      WHERE l.row_hash IS DISTINCT FROM r.row_hash
      ORDER BY ${keys}
      LIMIT ${Math.max(0, Math.floor(limit))}`,
  );
  return rows.map((row) => ({
    key: shape.key.map((k) => `${k}=${row[k] ?? 'NULL'}`).join(', '),
    kind: row.kind,
  }));
};
