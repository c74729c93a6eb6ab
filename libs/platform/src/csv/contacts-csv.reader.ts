import { type CsvError, parse } from 'csv-parse/sync';

/**
 * Streaming reader for contact import files (RFC 4180 CSV, UTF-8, header row required).
 *
 * How it works: a small byte-level framer splits the input into complete records, counting
 * physical lines (CRLF, LF and lone CR each end one line) so every record knows the line it
 * starts on, dropping empty lines and records longer than `maxRowBytes` without buffering them.
 * The framer follows csv-parse's quoting rules, so its record boundaries are csv-parse's. Each
 * group of complete records (one input chunk at most) is then tokenised by csv-parse, which owns
 * field parsing and quote validation; its `on_skip` errors are matched back to framed records by
 * byte offset. csv-parse alone cannot give this: its `info.lines` is where a record ends and counts
 * a CRLF inside quotes as two lines, and `max_record_size` with `skip_records_with_error` silently
 * drops the rest of the input.
 */

/** Which CSV header columns hold what. Names match header cells trimmed, case-insensitively. */
export interface ContactsCsvMapping {
  readonly email?: string;
  readonly name?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  /** Columns kept as free-form attributes; `'rest'` (default) keeps every unmapped named column. */
  readonly attributes?: readonly string[] | 'rest';
}

export interface ContactsCsvReadOptions {
  /** Explicit columns; unset roles fall back to header detection (see `readContactsCsv`). */
  readonly mapping?: ContactsCsvMapping;
  /** Longest accepted record in bytes, line terminator excluded. Default 64 KiB. */
  readonly maxRowBytes?: number;
  /** Most columns a header may have (data rows must match the header). Default 1000. */
  readonly maxColumns?: number;
}

export interface ContactsCsvBatchOptions extends ContactsCsvReadOptions {
  /** Records per yielded array (the last one may be shorter). Default 1000. */
  readonly batchSize?: number;
}

/** Byte or text chunks of the file; a lone string is read as one chunk. */
export type ContactsCsvSource =
  AsyncIterable<Buffer | string> | Iterable<Buffer | string> | NodeJS.ReadableStream;

/** A data record the CSV layer accepted. The email is trimmed but not validated. */
export interface ContactsCsvRow {
  readonly kind: 'row';
  /** 1-based physical line where the record starts; the header is on line 1. */
  readonly line: number;
  readonly email: string;
  readonly name: string | null;
  /** Attribute column (header text, trimmed) to trimmed value; empty values are left out. */
  readonly attributes: Record<string, string>;
}

/** A record the CSV layer could not accept; reading carries on with the next record. */
export interface ContactsCsvInvalidRecord {
  readonly kind: 'invalid';
  /** 1-based physical line where the record starts. */
  readonly line: number;
  readonly reason: string;
}

export type ContactsCsvRecord = ContactsCsvRow | ContactsCsvInvalidRecord;

export type ContactsCsvErrorCode =
  /** No header row: the file is empty or holds only empty lines. */
  | 'CSV_EMPTY'
  /** No mapping for the email column and no header looks like one. */
  | 'CSV_NO_EMAIL_COLUMN'
  /** The mapping names a column the header does not have. */
  | 'CSV_MAPPED_COLUMN_MISSING'
  /** Two header cells have the same name (compared trimmed, case-insensitively). */
  | 'CSV_DUPLICATE_HEADER'
  /** A header cell is named `__proto__`, `constructor` or `prototype`. */
  | 'CSV_INVALID_HEADER'
  /** The header has more than `maxColumns` columns. */
  | 'CSV_TOO_MANY_COLUMNS'
  /** The header row is not valid CSV (bad quoting, unterminated quote, too long). */
  | 'CSV_MALFORMED'
  /** The file starts with a UTF-16 byte order mark; only UTF-8 is read. */
  | 'CSV_UNSUPPORTED_ENCODING'
  /** The source produced something other than Buffer, Uint8Array or string chunks. */
  | 'CSV_INVALID_INPUT'
  /** `maxRowBytes`, `maxColumns` or `batchSize` is not a positive integer. */
  | 'CSV_INVALID_OPTIONS';

export class ContactsCsvError extends Error {
  constructor(
    readonly code: ContactsCsvErrorCode,
    message: string,
    /** Line of the offending header row, when there is one. */
    readonly line: number | null = null,
  ) {
    super(message);
    this.name = 'ContactsCsvError';
  }
}

export const CONTACTS_CSV_DEFAULT_MAX_ROW_BYTES = 64 * 1024;
export const CONTACTS_CSV_DEFAULT_MAX_COLUMNS = 1000;
const DEFAULT_BATCH_SIZE = 1000;
/** Input chunks are framed in slices of at most this size so one huge chunk stays bounded. */
const SLICE_BYTES = 64 * 1024;

/**
 * Reads a contacts CSV as a stream of records, one per data record of the file, in file order.
 *
 * Header detection (case-insensitive, when the mapping leaves a role unset): email among `email`,
 * `e-mail`, `email address`, `emailaddress`, `email_address`, `mail`; name among `name`,
 * `full name`, `fullname`, `full_name`; first name among `first name`, `firstname`, `first_name`,
 * `given name`; last name among `last name`, `lastname`, `last_name`, `surname`, `family name`.
 * A mapping that sets any of name / firstName / lastName turns name detection off. Name is the name
 * cell, else `first last` trimmed, else null. Every other named column becomes an attribute unless
 * `mapping.attributes` lists the attribute columns.
 *
 * Empty lines and records whose cells are all blank are skipped. Records with the wrong number of
 * columns, bad quoting, or more than `maxRowBytes` bytes come out as `kind: 'invalid'`. A quote
 * left open at the end of the file makes one invalid record covering the rest of the file.
 * Header problems throw `ContactsCsvError`; errors of the source itself are passed through.
 */
export async function* readContactsCsv(
  source: ContactsCsvSource,
  options: ContactsCsvReadOptions = {},
): AsyncGenerator<ContactsCsvRecord, void, undefined> {
  for await (const records of readRecordGroups(source, options)) {
    for (const record of records) yield record;
  }
}

/**
 * `readContactsCsv` in arrays of `batchSize` records (the last may be shorter), for callers that
 * work in batches anyway, such as database writes. Same records, same order.
 */
export async function* readContactsCsvBatches(
  source: ContactsCsvSource,
  options: ContactsCsvBatchOptions = {},
): AsyncGenerator<ContactsCsvRecord[], void, undefined> {
  const batchSize = positiveInteger('batchSize', options.batchSize, DEFAULT_BATCH_SIZE);
  let batch: ContactsCsvRecord[] = [];
  for await (const records of readRecordGroups(source, options)) {
    for (const record of records) {
      batch.push(record);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

async function* readRecordGroups(
  source: ContactsCsvSource,
  options: ContactsCsvReadOptions,
): AsyncGenerator<ContactsCsvRecord[], void, undefined> {
  const maxRowBytes = positiveInteger(
    'maxRowBytes',
    options.maxRowBytes,
    CONTACTS_CSV_DEFAULT_MAX_ROW_BYTES,
  );
  const maxColumns = positiveInteger(
    'maxColumns',
    options.maxColumns,
    CONTACTS_CSV_DEFAULT_MAX_COLUMNS,
  );
  const framer = new CsvRecordFramer(maxRowBytes);
  const interpreter = new ContactsCsvInterpreter(framer, options.mapping ?? {}, {
    maxRowBytes,
    maxColumns,
  });
  const decoder = new ChunkDecoder();

  const chunks: AsyncIterable<unknown> | Iterable<unknown> =
    typeof source === 'string' ? [source] : source;
  for await (const chunk of chunks) {
    const bytes = decoder.decode(chunk);
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
      const framed = framer.push(bytes.subarray(offset, offset + SLICE_BYTES));
      if (framed !== null) {
        const records = interpreter.interpret(framed);
        if (records.length > 0) yield records;
      }
    }
  }
  const records: ContactsCsvRecord[] = [];
  const tail = decoder.end();
  for (const framed of [framer.push(tail), framer.end()]) {
    if (framed !== null) records.push(...interpreter.interpret(framed));
  }
  interpreter.finish();
  if (records.length > 0) yield records;
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ContactsCsvError(
      'CSV_INVALID_OPTIONS',
      `${option} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

/** Turns source chunks into bytes; keeps a high surrogate split across string chunks together. */
class ChunkDecoder {
  private pendingSurrogate = '';

  decode(chunk: unknown): Buffer {
    if (typeof chunk === 'string') {
      let text = this.pendingSurrogate + chunk;
      this.pendingSurrogate = '';
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        this.pendingSurrogate = text.slice(-1);
        text = text.slice(0, -1);
      }
      return Buffer.from(text, 'utf8');
    }
    if (Buffer.isBuffer(chunk)) return chunk;
    if (chunk instanceof Uint8Array) {
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    throw new ContactsCsvError(
      'CSV_INVALID_INPUT',
      `The CSV source must yield Buffer, Uint8Array or string chunks, got ${typeof chunk}`,
    );
  }

  end(): Buffer {
    const rest = this.pendingSurrogate;
    this.pendingSurrogate = '';
    return Buffer.from(rest, 'utf8');
  }
}

// ---------------------------------------------------------------------------------------------
// Framing: record boundaries, physical line numbers, size limit.

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EMPTY: Buffer = Buffer.alloc(0);

/** Framer states. */
const BETWEEN_RECORDS = 0;
const FIELD_START = 1;
const UNQUOTED = 2;
const QUOTED = 3;
/** Inside a quoted field right after a quote: `""`, a closing quote, or a stray quote. */
const QUOTED_QUOTE = 4;

interface FramedRecord {
  /** Physical line of the first byte of the record. */
  readonly line: number;
  /** Physical line of the last byte of the record. */
  readonly endLine: number;
  /** Offsets of the record in `FramedBatch.bytes` (end after its "\n"); -1 when rejected. */
  readonly start: number;
  readonly end: number;
  readonly rejection: 'too-long' | 'unterminated' | null;
  /** For an unterminated record: line of the stray quote that kept its field open, or 0. */
  readonly strayQuoteLine?: number;
}

interface FramedBatch {
  /** The prefix record (header), then each accepted record; every record ends with "\n". */
  readonly bytes: Buffer;
  /** 1 when `bytes` starts with the prefix record, else 0. */
  readonly prefixRecords: 0 | 1;
  readonly records: readonly FramedRecord[];
}

/**
 * Splits a byte stream into complete CSV records with the quoting rules of csv-parse (quote and
 * escape `"`, delimiter `,`): a quote opens a quoted field only as the first byte of a field; in a
 * quoted field `""` is a quote, a quote followed by a comma, CR or LF closes the field, and any
 * other quote is a stray one (csv-parse rejects the record) after which the field stays quoted.
 * Outside quotes CRLF, LF and CR end a record. Accepted records are copied out with their line
 * terminator replaced by "\n".
 */
class CsvRecordFramer {
  private state = BETWEEN_RECORDS;
  private line = 1;
  private previous = -1;
  /** Bytes held back until the byte order mark is decided; null once it is. */
  private head: Buffer | null = EMPTY;
  private recordLine = 1;
  private carry: Buffer[] = [];
  private carried = 0;
  private tooLong = false;
  /** Line of the first stray quote of the open record, 0 when none. */
  private strayQuoteLine = 0;
  private prefix = EMPTY;
  private out: Buffer | null = null;
  private outLength = 0;
  private capacity = 0;
  private records: FramedRecord[] = [];

  constructor(private readonly maxRowBytes: number) {}

  /** Record copied at the start of every later batch (the header, for csv-parse's benefit). */
  setPrefix(prefix: Buffer): void {
    this.prefix = prefix;
  }

  push(input: Buffer): FramedBatch | null {
    const chunk = this.afterByteOrderMark(input, false);
    if (chunk.length > 0) this.scan(chunk);
    return this.takeBatch();
  }

  /** Ends the input: completes or rejects the open record. */
  end(): FramedBatch | null {
    if (this.head !== null) {
      const chunk = this.afterByteOrderMark(EMPTY, true);
      if (chunk.length > 0) this.scan(chunk);
    }
    if (this.state === QUOTED) {
      this.records.push({
        line: this.recordLine,
        endLine: this.line,
        start: -1,
        end: -1,
        rejection: 'unterminated',
        strayQuoteLine: this.strayQuoteLine,
      });
      this.resetRecord();
    } else if (this.state !== BETWEEN_RECORDS) {
      this.capacity = this.prefix.length + this.carried + 1;
      this.finishRecord(EMPTY, 0, 0, this.line);
    }
    this.state = BETWEEN_RECORDS;
    return this.takeBatch();
  }

  private afterByteOrderMark(input: Buffer, ended: boolean): Buffer {
    if (this.head === null) return input;
    const head = this.head.length === 0 ? input : Buffer.concat([this.head, input]);
    if (head.length < 3 && !ended) {
      this.head = Buffer.from(head);
      return EMPTY;
    }
    this.head = null;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return head.subarray(3);
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      throw new ContactsCsvError(
        'CSV_UNSUPPORTED_ENCODING',
        'The file is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8 CSV',
      );
    }
    return head;
  }

  private scan(chunk: Buffer): void {
    let state = this.state;
    let line = this.line;
    let previous = this.previous;
    let recordStart = 0;
    this.capacity = this.prefix.length + this.carried + chunk.length + 1;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i] as number;
      if (state === QUOTED) {
        if (byte === QUOTE) state = QUOTED_QUOTE;
        else if (byte === LF) {
          if (previous !== CR) line++;
        } else if (byte === CR) line++;
      } else if (state === UNQUOTED) {
        if (byte === COMMA) state = FIELD_START;
        else if (byte === LF || byte === CR) {
          this.finishRecord(chunk, recordStart, i, line);
          line++;
          state = BETWEEN_RECORDS;
        }
      } else if (state === FIELD_START || state === QUOTED_QUOTE) {
        if (byte === COMMA) state = FIELD_START;
        else if (byte === LF || byte === CR) {
          this.finishRecord(chunk, recordStart, i, line);
          line++;
          state = BETWEEN_RECORDS;
        } else if (byte === QUOTE) {
          // Opening quote, or `""` inside a quoted field.
          state = QUOTED;
        } else if (state === FIELD_START) {
          state = UNQUOTED;
        } else {
          // A stray quote inside a quoted field: csv-parse rejects the record and, like here,
          // keeps the field quoted.
          if (this.strayQuoteLine === 0) this.strayQuoteLine = line;
          state = QUOTED;
        }
      } else if (byte === LF) {
        if (previous !== CR) line++;
      } else if (byte === CR) {
        line++;
      } else {
        recordStart = i;
        this.recordLine = line;
        state = byte === QUOTE ? QUOTED : byte === COMMA ? FIELD_START : UNQUOTED;
      }
      previous = byte;
    }
    if (state !== BETWEEN_RECORDS && !this.tooLong) {
      const part = chunk.subarray(recordStart);
      this.carried += part.length;
      if (this.carried > this.maxRowBytes) {
        this.tooLong = true;
        this.carry = [];
      } else {
        // A copy: the source may reuse its chunk buffers.
        this.carry.push(Buffer.from(part));
      }
    }
    this.state = state;
    this.line = line;
    this.previous = previous;
  }

  private finishRecord(chunk: Buffer, start: number, end: number, endLine: number): void {
    if (this.tooLong || this.carried + (end - start) > this.maxRowBytes) {
      this.records.push({
        line: this.recordLine,
        endLine,
        start: -1,
        end: -1,
        rejection: 'too-long',
      });
      this.resetRecord();
      return;
    }
    let out = this.out;
    if (out === null) {
      out = Buffer.allocUnsafe(this.capacity);
      this.out = out;
      this.outLength = this.prefix.copy(out, 0);
    }
    const recordStart = this.outLength;
    let position = recordStart;
    for (const part of this.carry) position += part.copy(out, position);
    position += chunk.copy(out, position, start, end);
    out[position++] = LF;
    this.outLength = position;
    this.records.push({
      line: this.recordLine,
      endLine,
      start: recordStart,
      end: position,
      rejection: null,
    });
    this.resetRecord();
  }

  private resetRecord(): void {
    this.strayQuoteLine = 0;
    if (this.carried > 0 || this.tooLong) {
      this.carry = [];
      this.carried = 0;
      this.tooLong = false;
    }
  }

  private takeBatch(): FramedBatch | null {
    if (this.records.length === 0) return null;
    const out = this.out;
    const batch: FramedBatch = {
      bytes: out === null ? EMPTY : out.subarray(0, this.outLength),
      prefixRecords: out !== null && this.prefix.length > 0 ? 1 : 0,
      records: this.records,
    };
    this.out = null;
    this.outLength = 0;
    this.records = [];
    return batch;
  }
}

// ---------------------------------------------------------------------------------------------
// Interpretation: csv-parse tokenises the framed records; the header decides what they mean.

interface ColumnPlan {
  readonly width: number;
  readonly email: number;
  /** Column indexes, -1 when absent. */
  readonly name: number;
  readonly firstName: number;
  readonly lastName: number;
  readonly attributes: ReadonlyArray<readonly [key: string, index: number]>;
}

const EMAIL_HEADERS = ['email', 'e-mail', 'email address', 'emailaddress', 'email_address', 'mail'];
const NAME_HEADERS = ['name', 'full name', 'fullname', 'full_name'];
const FIRST_NAME_HEADERS = ['first name', 'firstname', 'first_name', 'given name'];
const LAST_NAME_HEADERS = ['last name', 'lastname', 'last_name', 'surname', 'family name'];
const FORBIDDEN_HEADERS = new Set(['__proto__', 'constructor', 'prototype']);

class ContactsCsvInterpreter {
  private plan: ColumnPlan | null = null;

  constructor(
    private readonly framer: CsvRecordFramer,
    private readonly mapping: ContactsCsvMapping,
    private readonly limits: { readonly maxRowBytes: number; readonly maxColumns: number },
  ) {}

  interpret(batch: FramedBatch): ContactsCsvRecord[] {
    const errors: CsvError[] = [];
    const parsed = batch.bytes.length === 0 ? [] : tokenise(batch.bytes, errors);
    const results: ContactsCsvRecord[] = [];
    let next = batch.prefixRecords;
    let nextError = 0;
    for (const record of batch.records) {
      if (record.rejection !== null) {
        results.push(this.rejected(record));
        continue;
      }
      let error: CsvError | undefined;
      while (nextError < errors.length) {
        const candidate = errors[nextError] as CsvError;
        if (errorOffset(candidate) >= record.end) break;
        error ??= candidate;
        nextError++;
      }
      const fields = error === undefined ? parsed[next++] : undefined;
      if (this.plan === null) {
        this.readHeader(batch, record, fields, error);
        continue;
      }
      if (fields === undefined) {
        results.push({
          kind: 'invalid',
          line: record.line,
          reason:
            error === undefined
              ? 'The CSV parser returned no record for this line'
              : describeParseError(error, record),
        });
        continue;
      }
      const result = toContactRecord(fields, record.line, this.plan, this.limits.maxColumns);
      if (result !== null) results.push(result);
    }
    return results;
  }

  /** Call once the input is exhausted. */
  finish(): void {
    if (this.plan === null) {
      throw new ContactsCsvError('CSV_EMPTY', 'The file is empty: there is no header row');
    }
  }

  private rejected(record: FramedRecord): ContactsCsvInvalidRecord {
    const reason =
      record.rejection === 'too-long'
        ? `The record is longer than ${this.limits.maxRowBytes} bytes` + spanNote(record)
        : unterminatedReason(record);
    if (this.plan === null) {
      throw new ContactsCsvError(
        'CSV_MALFORMED',
        `The header row on line ${record.line} is not valid CSV. ${reason}`,
        record.line,
      );
    }
    return { kind: 'invalid', line: record.line, reason };
  }

  private readHeader(
    batch: FramedBatch,
    record: FramedRecord,
    fields: string[] | undefined,
    error: CsvError | undefined,
  ): void {
    if (fields === undefined) {
      const reason =
        error === undefined ? 'The CSV parser returned nothing' : describeParseError(error, record);
      throw new ContactsCsvError(
        'CSV_MALFORMED',
        `The header row on line ${record.line} is not valid CSV. ${reason}`,
        record.line,
      );
    }
    if (isBlank(fields)) return;
    this.plan = planColumns(fields, this.mapping, this.limits.maxColumns, record.line);
    this.framer.setPrefix(Buffer.from(batch.bytes.subarray(record.start, record.end)));
  }
}

function tokenise(bytes: Buffer, errors: CsvError[]): string[][] {
  try {
    return parse(bytes, {
      // The framer ends every record with "\n"; CR and CRLF only remain inside quoted fields.
      record_delimiter: '\n',
      // Column counts are checked against the header here, with a clearer message.
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error !== undefined) errors.push(error);
        return undefined;
      },
      // The framer enforces maxRowBytes; csv-parse's own limit loses data in skip mode.
      max_record_size: 0,
      // The framer strips the byte order mark.
      bom: false,
    });
  } catch (error) {
    throw new ContactsCsvError(
      'CSV_MALFORMED',
      `The CSV parser failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** csv-parse's `info.bytes` when the error was raised: inside the record the error belongs to. */
function errorOffset(error: CsvError): number {
  return typeof error.bytes === 'number' ? error.bytes : -1;
}

function describeParseError(error: CsvError, record: FramedRecord): string {
  const reason =
    error.code === 'CSV_INVALID_CLOSING_QUOTE'
      ? 'Bad quoting: a closing quote must be followed by a comma or the end of the line ' +
        '(a quote inside a quoted field is written "")'
      : error.code === 'INVALID_OPENING_QUOTE'
        ? 'Bad quoting: a quote may only start a field (quote the whole field and write ' +
          'inner quotes as "")'
        : `The record is not valid CSV (${error.code})`;
  return reason + spanNote(record);
}

function unterminatedReason(record: FramedRecord): string {
  const rest = `lines ${record.line} to ${record.endLine} (the end of the file) could not be read`;
  const stray = record.strayQuoteLine ?? 0;
  return stray > 0
    ? `A quote on line ${stray} is followed by neither a comma nor the end of the line, so the ` +
        `quoted field opened on line ${record.line} never closes; ${rest}`
    : `A quoted field opened on line ${record.line} is never closed; ${rest}`;
}

function spanNote(record: FramedRecord): string {
  return record.endLine > record.line
    ? ` (the record runs from line ${record.line} to line ${record.endLine})`
    : '';
}

function isBlank(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

function toContactRecord(
  fields: readonly string[],
  line: number,
  plan: ColumnPlan,
  maxColumns: number,
): ContactsCsvRecord | null {
  if (fields.length !== plan.width) {
    if (isBlank(fields)) return null;
    return {
      kind: 'invalid',
      line,
      reason:
        fields.length > maxColumns
          ? `Too many columns: ${fields.length} (at most ${maxColumns})`
          : `Expected ${plan.width} columns as in the header, found ${fields.length}`,
    };
  }
  const email = (fields[plan.email] ?? '').trim();
  if (email === '' && isBlank(fields)) return null;
  let name: string | null = null;
  if (plan.name >= 0) name = (fields[plan.name] ?? '').trim() || null;
  if (name === null && (plan.firstName >= 0 || plan.lastName >= 0)) {
    const first = plan.firstName >= 0 ? (fields[plan.firstName] ?? '').trim() : '';
    const last = plan.lastName >= 0 ? (fields[plan.lastName] ?? '').trim() : '';
    name = `${first} ${last}`.trim() || null;
  }
  const attributes: [string, string][] = [];
  for (const [key, index] of plan.attributes) {
    const value = (fields[index] ?? '').trim();
    if (value !== '') attributes.push([key, value]);
  }
  return { kind: 'row', line, email, name, attributes: Object.fromEntries(attributes) };
}

function normaliseHeader(header: string): string {
  return header.trim().replace(/\s+/g, ' ').toLowerCase();
}

function planColumns(
  header: readonly string[],
  mapping: ContactsCsvMapping,
  maxColumns: number,
  line: number,
): ColumnPlan {
  if (header.length > maxColumns) {
    throw new ContactsCsvError(
      'CSV_TOO_MANY_COLUMNS',
      `The header has ${header.length} columns; at most ${maxColumns} are allowed`,
      line,
    );
  }
  const names = header.map((cell) => cell.trim());
  const columns = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') return;
    const key = normaliseHeader(name);
    if (FORBIDDEN_HEADERS.has(key)) {
      throw new ContactsCsvError(
        'CSV_INVALID_HEADER',
        `Column ${index + 1} has the reserved name "${name}"; rename it`,
        line,
      );
    }
    const first = columns.get(key);
    if (first !== undefined) {
      throw new ContactsCsvError(
        'CSV_DUPLICATE_HEADER',
        `Columns ${first + 1} and ${index + 1} have the same name "${name}"`,
        line,
      );
    }
    columns.set(key, index);
  });

  const mapped = (role: string, column: string): number => {
    const index = columns.get(normaliseHeader(column));
    if (index === undefined) {
      throw new ContactsCsvError(
        'CSV_MAPPED_COLUMN_MISSING',
        `The ${role} column "${column}" is not in the header (${names.filter(Boolean).join(', ')})`,
        line,
      );
    }
    return index;
  };
  const detected = (candidates: readonly string[]): number => {
    for (const candidate of candidates) {
      const index = columns.get(candidate);
      if (index !== undefined) return index;
    }
    return -1;
  };

  const email =
    mapping.email === undefined ? detected(EMAIL_HEADERS) : mapped('email', mapping.email);
  if (email < 0) {
    throw new ContactsCsvError(
      'CSV_NO_EMAIL_COLUMN',
      `No email column: name one ${EMAIL_HEADERS.map((h) => `"${h}"`).join(', ')} ` +
        'or map the email column explicitly',
      line,
    );
  }
  const explicitName =
    mapping.name !== undefined || mapping.firstName !== undefined || mapping.lastName !== undefined;
  const pick = (role: string, column: string | undefined, candidates: readonly string[]) =>
    explicitName ? (column === undefined ? -1 : mapped(role, column)) : detected(candidates);
  const name = pick('name', mapping.name, NAME_HEADERS);
  const firstName = pick('first name', mapping.firstName, FIRST_NAME_HEADERS);
  const lastName = pick('last name', mapping.lastName, LAST_NAME_HEADERS);

  const used = new Set([email, name, firstName, lastName]);
  const attributeColumns =
    mapping.attributes === undefined || mapping.attributes === 'rest'
      ? names.flatMap((name, index) => (name !== '' && !used.has(index) ? [index] : []))
      : [...new Set(mapping.attributes.map((column) => mapped('attribute', column)))];
  return {
    width: header.length,
    email,
    name,
    firstName,
    lastName,
    attributes: attributeColumns.map((index) => [names[index] as string, index] as const),
  };
}
