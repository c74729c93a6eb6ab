import { Readable } from 'node:stream';

import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';

import {
  ContactsCsvError,
  type ContactsCsvErrorCode,
  type ContactsCsvReadOptions,
  type ContactsCsvRecord,
  type ContactsCsvSource,
  readContactsCsv,
  readContactsCsvBatches,
} from './contacts-csv.reader.js';
import { escapeCsvCell, toCsv, writeCsv } from './csv-cell.js';

async function read(
  source: ContactsCsvSource,
  options?: ContactsCsvReadOptions,
): Promise<ContactsCsvRecord[]> {
  const records: ContactsCsvRecord[] = [];
  for await (const record of readContactsCsv(source, options)) records.push(record);
  return records;
}

type Outcome = { records: ContactsCsvRecord[] } | { error: ContactsCsvErrorCode };

/** Reads everything; a ContactsCsvError becomes `{ error }`, any other error fails the test. */
async function outcome(source: ContactsCsvSource, options?: ContactsCsvReadOptions) {
  try {
    return { records: await read(source, options) } as Outcome;
  } catch (error) {
    if (error instanceof ContactsCsvError) return { error: error.code } as Outcome;
    throw error;
  }
}

async function readError(source: ContactsCsvSource, options?: ContactsCsvReadOptions) {
  try {
    await read(source, options);
  } catch (error) {
    if (error instanceof ContactsCsvError) return error;
    throw error;
  }
  throw new Error('expected a ContactsCsvError');
}

/** Splits bytes at the given cut points (any numbers; taken modulo the length, sorted). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  return pieces;
}

function bytesOf(text: string): Buffer[] {
  return [...Buffer.from(text)].map((byte) => Buffer.from([byte]));
}

/** Physical line breaks: CRLF, lone CR, lone LF. */
function countLineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function row(
  line: number,
  email: string,
  name: string | null = null,
  attributes: Record<string, string> = {},
): ContactsCsvRecord {
  return { kind: 'row', line, email, name, attributes };
}

const SAMPLE = [
  '\uFEFFEmail,First Name,Last_Name,City,Plan',
  'ada@example.test,Ada,Lovelace,"London, UK",pro',
  'grace@example.test,Grace,Hopper,"New York',
  'NY",free',
  '',
  'broken,row',
  'alan@example.test,"Alan ""the"" ",Turing,,enterprise',
  '"multi',
  'line@example.test",,,"a ""quoted""',
  'city",',
  'bad"quote@example.test,x,y,z,w',
  'last@example.test, Émilie ,Du Châtelet,Paris,😀',
].join('\r\n');

const SAMPLE_RECORDS: unknown[] = [
  row(2, 'ada@example.test', 'Ada Lovelace', { City: 'London, UK', Plan: 'pro' }),
  row(3, 'grace@example.test', 'Grace Hopper', { City: 'New York\r\nNY', Plan: 'free' }),
  { kind: 'invalid', line: 6, reason: 'Expected 5 columns as in the header, found 2' },
  row(7, 'alan@example.test', 'Alan "the" Turing', { Plan: 'enterprise' }),
  row(8, 'multi\r\nline@example.test', null, { City: 'a "quoted"\r\ncity' }),
  { kind: 'invalid', line: 11, reason: expect.stringContaining('Bad quoting') },
  row(12, 'last@example.test', 'Émilie Du Châtelet', { City: 'Paris', Plan: '😀' }),
];

describe('ContactsCsv', () => {
  describe('When reading a well-formed file', () => {
    it('should map the default headers and keep the other columns as attributes', async () => {
      expect(await read(['email,name,city,plan\na@example.test,Ada,London,pro\n'])).toEqual([
        row(2, 'a@example.test', 'Ada', { city: 'London', plan: 'pro' }),
      ]);
    });

    it('should read quotes, doubled quotes, embedded newlines, CRLF and a BOM', async () => {
      expect(await read([SAMPLE])).toEqual(SAMPLE_RECORDS);
    });

    it('should keep line numbers right after quoted fields spanning lines', async () => {
      const input =
        'email,note\na@x.test,"one\ntwo\r\nthree\rfour"\nb@x.test,"x\n\n"\nc@x.test,y\n';
      const records = await read([input]);
      expect(records.map((r) => r.line)).toEqual([2, 6, 9]);
      expect(records[0]).toEqual(row(2, 'a@x.test', null, { note: 'one\ntwo\r\nthree\rfour' }));
    });

    it('should treat CRLF, LF and lone CR record endings alike', async () => {
      const lines = ['email,name', 'a@x.test,A', 'b@x.test,B', 'c@x.test,C'];
      const expected = [row(2, 'a@x.test', 'A'), row(3, 'b@x.test', 'B'), row(4, 'c@x.test', 'C')];
      for (const ending of ['\r\n', '\n', '\r']) {
        expect(await read([lines.join(ending) + ending])).toEqual(expected);
      }
      expect(await read(['email,name\r\na@x.test,A\nb@x.test,B\rc@x.test,C'])).toEqual(expected);
    });

    it('should strip a UTF-8 byte order mark, even split across chunks', async () => {
      const file = Buffer.from('\uFEFFemail\na@x.test\n');
      expect(await read([file])).toEqual([row(2, 'a@x.test')]);
      expect(await read(cut(file, [1, 2]))).toEqual([row(2, 'a@x.test')]);
      expect(await read(bytesOf('\uFEFFemail\na@x.test'))).toEqual([row(2, 'a@x.test')]);
    });

    it('should trim cells, leave out empty attributes and give a null name', async () => {
      expect(await read(['Email , Name ,Tag,Note\n  a@x.test ,   ,  vip ,\n'])).toEqual([
        row(2, 'a@x.test', null, { Tag: 'vip' }),
      ]);
    });

    it('should not validate emails', async () => {
      expect(await read(['email,name\nnot an email,A\n,B\n'])).toEqual([
        row(2, 'not an email', 'A'),
        row(3, '', 'B'),
      ]);
    });

    it('should skip empty lines and blank records silently', async () => {
      const input = '\n\nemail,name\n\n\r\n , \n,\n   \na@x.test,A\n\n';
      expect(await read([input])).toEqual([row(9, 'a@x.test', 'A')]);
    });

    it('should read a last record without a line break', async () => {
      expect(await read(['email\na@x.test\nb@x.test'])).toEqual([
        row(2, 'a@x.test'),
        row(3, 'b@x.test'),
      ]);
    });

    it('should read a header-only file as no records', async () => {
      expect(await read(['email,name\r\n'])).toEqual([]);
    });

    it('should accept streams, strings, Uint8Array chunks and a lone string', async () => {
      const text = 'email,name\na@x.test,Ada\n';
      const expected = [row(2, 'a@x.test', 'Ada')];
      expect(await read(Readable.from([Buffer.from(text)]))).toEqual(expected);
      expect(await read(Readable.from(['email,na', 'me\na@x.test,Ada\n']))).toEqual(expected);
      expect(await read([new TextEncoder().encode(text)] as unknown as Buffer[])).toEqual(expected);
      expect(await read(text as unknown as ContactsCsvSource)).toEqual(expected);
    });

    it('should keep a surrogate pair split across string chunks', async () => {
      const text = 'email,name\na@x.test,😀\n';
      const split = text.indexOf('😀') + 1;
      expect(await read([text.slice(0, split), text.slice(split)])).toEqual([
        row(2, 'a@x.test', '😀'),
      ]);
    });

    it('should build attributes as plain own data properties', async () => {
      const [record] = await read(['email,toString,hasOwnProperty\na@x.test,1,2\n']);
      expect(record).toEqual(row(2, 'a@x.test', null, { toString: '1', hasOwnProperty: '2' }));
      if (record?.kind !== 'row') throw new Error('expected a row');
      expect(Object.getPrototypeOf(record.attributes)).toBe(Object.prototype);
      expect(Object.keys(record.attributes)).toEqual(['toString', 'hasOwnProperty']);
    });
  });

  describe('When mapping columns', () => {
    it.each([
      ['Email', 'a@x.test'],
      ['E-Mail', 'a@x.test'],
      ['email address', 'a@x.test'],
      ['EmailAddress', 'a@x.test'],
      ['MAIL', 'a@x.test'],
    ])('should find the email column named %s', async (header, email) => {
      expect(await read([`${header},x\n${email},1\n`])).toEqual([row(2, email, null, { x: '1' })]);
    });

    it('should prefer "email" over "mail" when both exist', async () => {
      expect(await read(['mail,email\nm@x.test,e@x.test\n'])).toEqual([
        row(2, 'e@x.test', null, { mail: 'm@x.test' }),
      ]);
    });

    it.each([
      ['first name,last name', 'Ada,Lovelace', 'Ada Lovelace'],
      ['firstname,lastname', 'Ada,', 'Ada'],
      ['First_Name,Surname', ',Lovelace', 'Lovelace'],
      ['Given Name,Family Name', ',', null],
    ])('should join %s into the name', async (headers, cells, name) => {
      expect(await read([`email,${headers}\na@x.test,${cells}\n`])).toEqual([
        row(2, 'a@x.test', name),
      ]);
    });

    it('should use the name column first and first + last when it is empty', async () => {
      const input =
        'email,Full Name,first name,last name\na@x.test,Ada L.,Ada,Lovelace\nb@x.test,,Bo,B\n';
      expect(await read([input])).toEqual([
        row(2, 'a@x.test', 'Ada L.'),
        row(3, 'b@x.test', 'Bo B'),
      ]);
    });

    it('should follow an explicit mapping, case-insensitively', async () => {
      const input = 'Work Email,email,Who,Team,Notes\nw@x.test,p@x.test,Ada,Core,hi\n';
      expect(
        await read([input], {
          mapping: { email: 'work email', name: 'WHO', attributes: ['team'] },
        }),
      ).toEqual([row(2, 'w@x.test', 'Ada', { Team: 'Core' })]);
      expect(await read([input], { mapping: { email: 'Work Email' } })).toEqual([
        row(2, 'w@x.test', null, { email: 'p@x.test', Who: 'Ada', Team: 'Core', Notes: 'hi' }),
      ]);
    });

    it('should turn name detection off when the mapping names a name column', async () => {
      const input = 'email,name,Given,Family\na@x.test,Full,Ada,Lovelace\n';
      expect(await read([input], { mapping: { firstName: 'Given', lastName: 'Family' } })).toEqual([
        row(2, 'a@x.test', 'Ada Lovelace', { name: 'Full' }),
      ]);
    });

    it('should keep no attributes for an empty attribute list', async () => {
      expect(await read(['email,a,b\nx@x.test,1,2\n'], { mapping: { attributes: [] } })).toEqual([
        row(2, 'x@x.test'),
      ]);
    });

    it('should ignore columns with an empty header', async () => {
      expect(await read(['email,, ,city\na@x.test,1,2,Paris\n'])).toEqual([
        row(2, 'a@x.test', null, { city: 'Paris' }),
      ]);
    });
  });

  describe('When the header is unusable', () => {
    it.each([
      ['an empty file', ''],
      ['only line breaks', '\r\n\n\r'],
      ['only a byte order mark', '\uFEFF'],
      ['only blank records', ' , \n,,\n'],
    ])('should throw CSV_EMPTY for %s', async (_label, input) => {
      expect((await readError([input])).code).toBe('CSV_EMPTY');
    });

    it.each<[string, string, ContactsCsvReadOptions, ContactsCsvErrorCode]>([
      ['no email column', 'name,city\nAda,London\n', {}, 'CSV_NO_EMAIL_COLUMN'],
      [
        'a missing mapped email',
        'email\na@x.test\n',
        { mapping: { email: 'mel' } },
        'CSV_MAPPED_COLUMN_MISSING',
      ],
      [
        'a missing mapped attribute',
        'email\na@x.test\n',
        { mapping: { attributes: ['x'] } },
        'CSV_MAPPED_COLUMN_MISSING',
      ],
      [
        'a missing mapped last name',
        'email\na@x.test\n',
        { mapping: { lastName: 'x' } },
        'CSV_MAPPED_COLUMN_MISSING',
      ],
      ['duplicate headers', 'email,City,city \na@x.test,1,2\n', {}, 'CSV_DUPLICATE_HEADER'],
      ['a __proto__ header', 'email,__proto__\na@x.test,1\n', {}, 'CSV_INVALID_HEADER'],
      ['a constructor header', 'email, Constructor\na@x.test,1\n', {}, 'CSV_INVALID_HEADER'],
      ['a prototype header', 'prototype,email\n1,a@x.test\n', {}, 'CSV_INVALID_HEADER'],
      ['too many columns', 'email,a,b,c\n', { maxColumns: 3 }, 'CSV_TOO_MANY_COLUMNS'],
      ['a stray quote in the header', 'email,na"me\n', {}, 'CSV_MALFORMED'],
      ['a bad closing quote in the header', '"email"x,name\n', {}, 'CSV_MALFORMED'],
      ['an unterminated header', '"email,name\na@x.test\n', {}, 'CSV_MALFORMED'],
      ['a header over maxRowBytes', 'email,name\n', { maxRowBytes: 5 }, 'CSV_MALFORMED'],
    ])('should throw a typed error for %s', async (_label, input, options, code) => {
      const error = await readError([input], options);
      expect(error).toBeInstanceOf(ContactsCsvError);
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(10);
    });

    it('should throw CSV_UNSUPPORTED_ENCODING for a UTF-16 file', async () => {
      const file = Buffer.from('\uFEFFemail\na@x.test\n', 'utf16le');
      expect((await readError([file])).code).toBe('CSV_UNSUPPORTED_ENCODING');
      expect((await readError(cut(file, [1]))).code).toBe('CSV_UNSUPPORTED_ENCODING');
    });

    it('should name the line of the header in the error', async () => {
      const error = await readError(['\n\nname\nAda\n']);
      expect(error.code).toBe('CSV_NO_EMAIL_COLUMN');
      expect(error.line).toBe(3);
    });

    it.each([{ maxRowBytes: 0 }, { maxColumns: -1 }, { maxRowBytes: 1.5 }])(
      'should throw CSV_INVALID_OPTIONS for %j',
      async (options) => {
        expect((await readError(['email\n'], options)).code).toBe('CSV_INVALID_OPTIONS');
      },
    );

    it('should throw CSV_INVALID_INPUT for chunks that are not bytes or text', async () => {
      const error = await readError([{ not: 'bytes' }] as unknown as ContactsCsvSource);
      expect(error.code).toBe('CSV_INVALID_INPUT');
    });

    it('should pass errors of the source through', async () => {
      async function* failing(): AsyncGenerator<string> {
        yield await Promise.resolve('email\na@x.test\n');
        throw new Error('disk on fire');
      }
      await expect(read(failing())).rejects.toThrow('disk on fire');
    });
  });

  describe('When records are invalid', () => {
    it('should report a wrong column count with its line and carry on', async () => {
      const input =
        'email,name,city\na@x.test,A\nb@x.test,B,C,D\n"c@x.test","C\nC",Paris\nd@x.test,D,Rome\n';
      expect(await read([input])).toEqual([
        { kind: 'invalid', line: 2, reason: 'Expected 3 columns as in the header, found 2' },
        { kind: 'invalid', line: 3, reason: 'Expected 3 columns as in the header, found 4' },
        row(4, 'c@x.test', 'C\nC', { city: 'Paris' }),
        row(6, 'd@x.test', 'D', { city: 'Rome' }),
      ]);
    });

    it('should report a quote inside an unquoted field and carry on with the next line', async () => {
      expect(await read(['email,name\na@x.test,Ada "A" L\nb@x.test,B\n'])).toEqual([
        {
          kind: 'invalid',
          line: 2,
          reason: expect.stringMatching(/^Bad quoting: a quote may only start a field/),
        },
        row(3, 'b@x.test', 'B'),
      ]);
    });

    it('should report a bad closing quote with the lines its record swallowed', async () => {
      // After `"Ada"x` the field stays quoted (csv-parse's rule) until `L",`, two lines later.
      const input = 'email,name,n\na@x.test,"Ada"x,1\nb@x.test,B,2\nc@x.test,L",3\nd@x.test,D,4\n';
      expect(await read([input])).toEqual([
        {
          kind: 'invalid',
          line: 2,
          reason: expect.stringMatching(
            /^Bad quoting: a closing quote .* \(the record runs from line 2 to line 4\)$/,
          ),
        },
        row(5, 'd@x.test', 'D', { n: '4' }),
      ]);
    });

    it('should report a record over maxRowBytes without keeping it and carry on', async () => {
      const long = 'x'.repeat(200);
      const input = `email,note\na@x.test,${long}\nb@x.test,"${long}\n${long}"\nc@x.test,short\n`;
      const expected = [
        { kind: 'invalid', line: 2, reason: 'The record is longer than 100 bytes' },
        {
          kind: 'invalid',
          line: 3,
          reason: 'The record is longer than 100 bytes (the record runs from line 3 to line 4)',
        },
        row(5, 'c@x.test', null, { note: 'short' }),
      ];
      expect(await read([input], { maxRowBytes: 100 })).toEqual(expected);
      expect(await read(bytesOf(input), { maxRowBytes: 100 })).toEqual(expected);
      expect(await read(cut(Buffer.from(input), [30, 95, 160, 300]), { maxRowBytes: 100 })).toEqual(
        expected,
      );
    });

    it('should accept a record of exactly maxRowBytes bytes', async () => {
      const records = await read(['email\n' + 'a'.repeat(10) + '\n'], { maxRowBytes: 10 });
      expect(records).toEqual([row(2, 'a'.repeat(10))]);
    });

    it('should report a row with more than maxColumns columns', async () => {
      expect(await read(['email,a\nx@x.test,1,2,3\n'], { maxColumns: 3 })).toEqual([
        { kind: 'invalid', line: 2, reason: 'Too many columns: 4 (at most 3)' },
      ]);
    });

    it('should report an unterminated quote as one invalid record for the rest of the file', async () => {
      const input = 'email,name\na@x.test,A\nb@x.test,"B\nc@x.test,C\nd@x.test,D';
      expect(await read([input])).toEqual([
        row(2, 'a@x.test', 'A'),
        {
          kind: 'invalid',
          line: 3,
          reason:
            'A quoted field opened on line 3 is never closed; lines 3 to 5 (the end of the file) could not be read',
        },
      ]);
    });

    it('should name the stray quote that kept a field open to the end of the file', async () => {
      const records = await read(['email,name\na@x.test,"A"B,\nc@x.test,C\n']);
      expect(records).toEqual([
        {
          kind: 'invalid',
          line: 2,
          reason: expect.stringMatching(/^A quote on line 2 is followed by neither/),
        },
      ]);
    });
  });

  describe('When the input arrives in chunks', () => {
    it('should give the same records for one-byte chunks', async () => {
      expect(await read(bytesOf(SAMPLE))).toEqual(SAMPLE_RECORDS);
    });

    it('should give the same records for every chunking (property)', async () => {
      const file = Buffer.from(SAMPLE);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), async (cuts) => {
          expect(await read(cut(file, cuts))).toEqual(SAMPLE_RECORDS);
        }),
      );
    });

    it('should read one huge chunk and many small ones alike', async () => {
      const rows = Array.from({ length: 5000 }, (_, i) => `u${i}@x.test,"User\n${i}"`);
      const text = ['email,name', ...rows].join('\n');
      const whole = await read([text]);
      expect(whole).toHaveLength(5000);
      expect(whole[4999]).toEqual(row(2 + 4999 * 2, 'u4999@x.test', 'User\n4999'));
      expect(await read(cut(Buffer.from(text), [7, 1000, 70_000, 70_001, 131_071]))).toEqual(whole);
    });
  });

  describe('When reading in batches', () => {
    it('should yield arrays of batchSize records in order', async () => {
      const text = ['email', ...Array.from({ length: 25 }, (_, i) => `u${i}@x.test`)].join('\n');
      const sizes: number[] = [];
      const all: ContactsCsvRecord[] = [];
      for await (const batch of readContactsCsvBatches(bytesOf(text), { batchSize: 10 })) {
        sizes.push(batch.length);
        all.push(...batch);
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(all).toEqual(await read([text]));
    });
  });

  describe('When given arbitrary input (property)', () => {
    const csvish = fc.string({
      unit: fc.constantFrom(
        'a',
        'b',
        '@',
        ',',
        ',',
        '"',
        '"',
        '\n',
        '\r',
        '\r\n',
        ' ',
        'é',
        '😀',
        '\uFEFF',
      ),
      maxLength: 120,
    });
    const header = fc.constantFrom('', 'email,name,x\n', 'Email,"first name","last name"\r\n');

    it('should only yield well-formed records or throw ContactsCsvError', async () => {
      await fc.assert(
        fc.asyncProperty(
          header,
          fc.oneof(csvish, fc.string({ unit: 'binary', maxLength: 120 })),
          fc.nat({ max: 50 }),
          async (head, body, maxRowBytes) => {
            const result = await outcome([head + body], { maxRowBytes: maxRowBytes + 1 });
            if ('error' in result) return;
            let previousLine = 1;
            for (const record of result.records) {
              expect(record.line).toBeGreaterThan(previousLine);
              previousLine = record.line;
              if (record.kind === 'invalid') {
                expect(record.reason).toEqual(expect.any(String));
                expect(Object.keys(record).sort()).toEqual(['kind', 'line', 'reason']);
              } else {
                expect(Object.keys(record).sort()).toEqual([
                  'attributes',
                  'email',
                  'kind',
                  'line',
                  'name',
                ]);
                for (const value of Object.values(record.attributes)) {
                  expect(value).toBe(value.trim());
                  expect(value).not.toBe('');
                }
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    it('should give the same outcome for any byte chunking of arbitrary bytes', async () => {
      const bytes = fc
        .array(
          fc.constantFrom(
            0x22,
            0x2c,
            0x0a,
            0x0d,
            0x61,
            0x40,
            0x20,
            0xef,
            0xbb,
            0xbf,
            0xc3,
            0xa9,
            0xff,
          ),
          { maxLength: 150 },
        )
        .map((values) => Buffer.from(values));
      await fc.assert(
        fc.asyncProperty(
          header,
          bytes,
          fc.array(fc.nat(), { maxLength: 20 }),
          async (head, body, cuts) => {
            const file = Buffer.concat([Buffer.from(head), body]);
            const options = { maxRowBytes: 40 };
            expect(await outcome(cut(file, cuts), options)).toEqual(await outcome([file], options));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('should accept exactly the records csv-parse accepts on the whole file', async () => {
      await fc.assert(
        fc.asyncProperty(csvish, async (body) => {
          const text = 'email,name,x\n' + body;
          const oracle = parse(text, {
            record_delimiter: ['\r\n', '\n', '\r'],
            relax_column_count: true,
            skip_records_with_error: true,
            skip_empty_lines: true,
          })
            .slice(1)
            .filter((cells) => cells.length === 3 && cells.some((cell) => cell.trim() !== ''))
            .map(([email = '', name = '', x = '']) => ({
              email: email.trim(),
              name: name.trim() || null,
              attributes: x.trim() === '' ? {} : { x: x.trim() },
            }));
          const rows = (await read([text])).flatMap((record) =>
            record.kind === 'row'
              ? [{ email: record.email, name: record.name, attributes: record.attributes }]
              : [],
          );
          expect(rows).toEqual(oracle);
        }),
        { numRuns: 500 },
      );
    });

    const reservedHeaders = new Set([
      'email',
      'e-mail',
      'email address',
      'emailaddress',
      'email_address',
      'mail',
      'name',
      'full name',
      'fullname',
      'full_name',
      'first name',
      'firstname',
      'first_name',
      'given name',
      'last name',
      'lastname',
      'last_name',
      'surname',
      'family name',
      '__proto__',
      'constructor',
      'prototype',
    ]);
    const normalise = (header: string) => header.trim().replace(/\s+/g, ' ').toLowerCase();
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      csvish,
    );

    it('should read back what a plain csv-stringify wrote (round trip)', async () => {
      const attributeKeys = fc.uniqueArray(
        fc
          .oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), csvish)
          .map((key) => key.trim())
          .filter((key) => key !== '' && !reservedHeaders.has(normalise(key))),
        { selector: normalise, maxLength: 4 },
      );
      const contacts = (keys: string[]) =>
        fc.array(
          fc.record({
            email: fc.emailAddress(),
            name: text,
            values: fc.array(text, { minLength: keys.length, maxLength: keys.length }),
          }),
          { maxLength: 15 },
        );
      await fc.assert(
        fc.asyncProperty(
          attributeKeys.chain((keys) => fc.tuple(fc.constant(keys), contacts(keys))),
          fc.constantFrom('\n', '\r\n'),
          async ([keys, people], recordDelimiter) => {
            const file = stringify(
              [['email', 'name', ...keys], ...people.map((p) => [p.email, p.name, ...p.values])],
              { record_delimiter: recordDelimiter, quote_record_delimiter: true },
            );
            const expected = people.map((p) => ({
              kind: 'row',
              email: p.email,
              name: p.name.trim() || null,
              attributes: Object.fromEntries(
                keys.flatMap((key, i) => {
                  const value = (p.values[i] ?? '').trim();
                  return value === '' ? [] : [[key, value]];
                }),
              ),
            }));
            const records = await read([file]);
            expect(records.map(({ line: _line, ...rest }) => rest)).toEqual(expected);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('should report each invalid record on the line where it starts', async () => {
      const entry = fc.record({
        email: fc.emailAddress(),
        name: fc.string({
          unit: fc.constantFrom('a', ' ', ',', '"', '\n', '\r', '\r\n'),
          maxLength: 8,
        }),
        city: fc.string({ unit: fc.constantFrom('b', '\n', '\r\n', '"'), maxLength: 5 }),
        cells: fc.constantFrom(3, 3, 3, 1, 2, 4, 5),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(entry, { maxLength: 20 }),
          fc.constantFrom('\n', '\r\n', '\r'),
          async (entries, ending) => {
            let file = `email,name,city${ending}`;
            const expected: { kind: string; line: number }[] = [];
            for (const e of entries) {
              const cells = [e.email, e.name, e.city, 'extra', 'more'].slice(0, e.cells);
              expected.push({
                kind: e.cells === 3 ? 'row' : 'invalid',
                line: countLineBreaks(file) + 1,
              });
              file += stringify([cells], {
                record_delimiter: ending,
                quote_record_delimiter: true,
              });
            }
            const records = await read([file]);
            expect(records.map(({ kind, line }) => ({ kind, line }))).toEqual(expected);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('When escaping cells for spreadsheets', () => {
    it.each(['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'])(
      'should prefix a cell starting with %j with a single quote',
      (trigger) => {
        expect(escapeCsvCell(`${trigger}HYPERLINK("http://evil.test")`)).toBe(
          `'${trigger}HYPERLINK("http://evil.test")`,
        );
        expect(escapeCsvCell(trigger)).toBe(`'${trigger}`);
      },
    );

    it.each(['', 'Ada', ' =1+1', "'=1", 'a=b', '1-2', '\n=1'])('should leave %j alone', (value) => {
      expect(escapeCsvCell(value)).toBe(value);
    });

    it('should write RFC 4180 CSV with CRLF and every cell escaped, header included', () => {
      expect(
        toCsv(
          ['email', '=cmd'],
          [
            ['a@x.test', '=1+1'],
            ['b@x.test', 'say "hi", bye'],
            ['c@x.test', 'two\nlines'],
            ['d@x.test', 'cr\ronly'],
            ['e@x.test', ''],
          ],
        ),
      ).toBe(
        'email,\'=cmd\r\na@x.test,\'=1+1\r\nb@x.test,"say ""hi"", bye"\r\n' +
          'c@x.test,"two\nlines"\r\nd@x.test,"cr\ronly"\r\ne@x.test,\r\n',
      );
    });

    it('should quote an escaped carriage-return cell', () => {
      expect(toCsv(['a'], [['\rx']])).toBe('a\r\n"\'\rx"\r\n');
    });

    it('should reject rows narrower or wider than the header', () => {
      expect(() => toCsv(['a', 'b'], [['1']])).toThrow(RangeError);
    });

    it('should stream the same text as toCsv from sync and async rows', async () => {
      const rows = Array.from({ length: 1234 }, (_, i) => [
        `u${i}@x.test`,
        i % 2 ? `-${i}` : `n,${i}`,
      ]);
      async function* asyncRows(): AsyncGenerator<string[]> {
        for (const cells of rows) yield await Promise.resolve(cells);
      }
      for (const source of [rows, asyncRows()]) {
        const chunks: string[] = [];
        for await (const chunk of writeCsv(source, ['email', 'value'])) chunks.push(chunk);
        expect(chunks.length).toBeGreaterThan(2);
        expect(chunks.join('')).toBe(toCsv(['email', 'value'], rows));
      }
    });

    it('should read back its own output with the escaped values', async () => {
      const csv = toCsv(['email', 'name', 'note'], [['a@x.test', '@ada', 'x,"y"\nz']]);
      expect(await read([csv])).toEqual([row(2, 'a@x.test', "'@ada", { note: 'x,"y"\nz' })]);
    });
  });
});
