import { type Options, stringify } from 'csv-stringify/sync';

/**
 * First characters that make spreadsheet applications read a cell as a formula (OWASP CSV
 * injection): `=`, `+`, `-`, `@`, tab and carriage return, plus their full-width forms, which
 * Apple Numbers normalises to the ASCII ones.
 */
const FORMULA_TRIGGERS = new Set([
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
]);

/** Neutralises formula injection: a cell starting with a formula trigger gets a leading `'`. */
export function escapeCsvCell(value: string): string {
  return FORMULA_TRIGGERS.has(value.charAt(0)) ? `'${value}` : value;
}

const STRINGIFY_OPTIONS: Options = {
  record_delimiter: '\r\n',
  // With an explicit record_delimiter csv-stringify only quotes cells holding that exact
  // delimiter; RFC 4180 readers need every cell with a CR or LF quoted.
  quote_record_delimiter: true,
};
const WRITE_BATCH_ROWS = 500;

function escapeRow(row: readonly string[], width: number): string[] {
  if (row.length !== width) {
    throw new RangeError(`CSV row has ${row.length} cells, the header has ${width}`);
  }
  return row.map(escapeCsvCell);
}

/**
 * A whole CSV document as a string: header then rows, every cell through `escapeCsvCell`, CRLF
 * record delimiters, RFC 4180 quoting. Rows must be as wide as the header (RangeError otherwise).
 */
export function toCsv(header: readonly string[], rows: Iterable<readonly string[]>): string {
  const records = [escapeRow(header, header.length)];
  for (const row of rows) records.push(escapeRow(row, header.length));
  return stringify(records, STRINGIFY_OPTIONS);
}

/**
 * Streams a CSV document: yields the header line, then the rows in chunks of a few hundred
 * records, formatted as `toCsv` does.
 */
export async function* writeCsv(
  rows: AsyncIterable<readonly string[]> | Iterable<readonly string[]>,
  header: readonly string[],
): AsyncGenerator<string, void, undefined> {
  yield stringify([escapeRow(header, header.length)], STRINGIFY_OPTIONS);
  let batch: string[][] = [];
  for await (const row of rows) {
    batch.push(escapeRow(row, header.length));
    if (batch.length === WRITE_BATCH_ROWS) {
      yield stringify(batch, STRINGIFY_OPTIONS);
      batch = [];
    }
  }
  if (batch.length > 0) yield stringify(batch, STRINGIFY_OPTIONS);
}

/** One CSV record (cells escaped, RFC 4180 quoting, CRLF), for writers that append line by line. */
export function csvRecord(cells: readonly string[]): string {
  return stringify([cells.map(escapeCsvCell)], STRINGIFY_OPTIONS);
}
