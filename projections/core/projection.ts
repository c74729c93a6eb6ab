import type { EventFilter, RecordedEvent } from '#event-store';
import { type SealedField, isEncryptedField } from '#privacy';

/** Runs SQL inside the projection's transaction. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

/**
 * A read model fed by the event log. `apply` gets a batch of the events it subscribed to and
 * writes its rows through `sql`, inside the same transaction that stores the checkpoint.
 * `tables` maps the model's logical table names to the physical ones (live or rebuild shadow).
 */
export interface Projection {
  readonly name: string;
  /** Logical table names, in creation order. */
  readonly tables: readonly string[];
  readonly filter: EventFilter;
  apply(
    batch: readonly RecordedEvent[],
    sql: SqlExecutor,
    tables: Readonly<Record<string, string>>,
  ): Promise<void>;
}

/** A row of a keyed read model: the stream revision of the last event applied to it. */
export interface VersionedRow {
  last_revision: string | number;
}

/**
 * The common shape of our read models: rows keyed by one column, each fed by one stream.
 * A batch loads the rows it touches in one query, folds the events in memory with `evolve`
 * (skipping events at or below a row's `last_revision`, which makes redelivery harmless), and
 * writes them back with one upsert and one delete: a rebuild is a bulk operation, not a loop of
 * single inserts.
 */
export interface RowProjectionDefinition<Row extends VersionedRow> {
  name: string;
  table: string;
  keyColumn: keyof Row & string;
  /** SQL type of the key column, so lookups use its index (default `uuid`). */
  keyType?: 'uuid' | 'text';
  filter: EventFilter;
  /** The row key an event applies to, or undefined to ignore the event. */
  keyOf(event: RecordedEvent): string | undefined;
  /** New row, or null to delete it. Never called for an event already applied to the row. */
  evolve(row: Row | undefined, event: RecordedEvent): Row | null;
}

export const defineRowProjection = <Row extends VersionedRow>(
  definition: RowProjectionDefinition<Row>,
): Projection => ({
  name: definition.name,
  tables: [definition.table],
  filter: definition.filter,
  async apply(batch, sql, tables) {
    const table = quoteIdent(tables[definition.table] ?? definition.table);
    const key = quoteIdent(definition.keyColumn);
    const keyArray = `$1::${definition.keyType ?? 'uuid'}[]`;
    const keyed = batch
      .map((event) => ({ event, key: definition.keyOf(event) }))
      .filter((e): e is { event: RecordedEvent; key: string } => e.key !== undefined);
    if (keyed.length === 0) return;
    const keys = [...new Set(keyed.map((e) => e.key))];
    const existing = await sql.query<Row>(
      `SELECT * FROM ${table} WHERE ${key} = ANY(${keyArray})`,
      [keys],
    );
    const rows = new Map<string, Row | null>();
    const touched = new Set<string>();
    for (const row of existing) rows.set(String(row[definition.keyColumn]), row);
    for (const { event, key: rowKey } of keyed) {
      const row = rows.get(rowKey) ?? undefined;
      if (row && BigInt(row.last_revision) >= event.revision) continue; // already applied
      rows.set(rowKey, definition.evolve(row, event));
      touched.add(rowKey);
    }
    const upserts: Row[] = [];
    const deletes: string[] = [];
    for (const rowKey of touched) {
      const row = rows.get(rowKey);
      if (row) upserts.push(row);
      else deletes.push(rowKey);
    }
    if (upserts.length > 0) await upsertRows(sql, table, key, upserts);
    if (deletes.length > 0) {
      await sql.query(`DELETE FROM ${table} WHERE ${key} = ANY(${keyArray})`, [deletes]);
    }
  },
});

/**
 * Inserts or replaces rows (all with the same columns) in one statement. `table` and `key` are
 * quoted identifiers. Rows travel as one JSON parameter, so a batch is one round trip.
 */
export const upsertRows = async (
  sql: SqlExecutor,
  table: string,
  key: string,
  rows: readonly object[],
): Promise<void> => {
  const columns = Object.keys(rows[0]!).map(quoteIdent);
  const updates = columns.filter((c) => c !== key).map((c) => `${c} = EXCLUDED.${c}`);
  await sql.query(
    `INSERT INTO ${table} (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (${key}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
    [JSON.stringify(rows)],
  );
};

export const quoteIdent = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unsafe SQL identifier: ${name}`);
  return `"${name}"`;
};

/**
 * A personal field as a read model keeps it: the event's ciphertext and the context it was
 * encrypted under (`RecipientAdded.email`), which decryption needs. Anything that is not
 * ciphertext is dropped (null), so a plaintext value can never land in a read model by mistake.
 */
export const seal = (context: string, value: unknown): SealedField | null =>
  sealFrom(context, value);

/**
 * `seal` for an event whose fields may have been encrypted together (`together` in
 * `PERSONAL_DATA`): the first candidate that holds the field, i.e. the field's own value, or
 * the value stored at the first field when that one lists it (`g`). Null when none does.
 */
export const sealFrom = (context: string, ...candidates: unknown[]): SealedField | null => {
  const path = context.slice(context.indexOf('.') + 1);
  for (const value of candidates) {
    if (!isEncryptedField(value)) continue;
    if (value.g === undefined || value.g.includes(path)) return { context, field: value };
  }
  return null;
};
