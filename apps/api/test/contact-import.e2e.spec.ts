import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { cliCaller } from '../src/cli/cli-caller.js';
import { runRecipientCommand } from '../src/cli/recipient.commands.js';
import { ApiTestApp } from './api-test-app.js';

const IMPORT = `mutation($input: ImportContactsInput!, $file: Upload) { importContacts(input: $input, file: $file) {
  importId listId rows added updated invalid durationMs
  skipped { total duplicate unchanged suppressed erased unsubscribed objected restricted }
  problems { line reason } } }`;
const MEMBERS = `query($listId: ID!, $first: Int) { recipients(listId: $listId, first: $first) {
  edges { node { id email name attributes memberships { listId status consent { source } } } } } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { receipt { subjectId } } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`;

interface Report {
  rows: number;
  added: number;
  updated: number;
  invalid: number;
  skipped: Record<string, number>;
  problems: Array<{ line: number; reason: string }>;
}

interface Member {
  id: string;
  email: string;
  name: string | null;
  attributes: Record<string, string>;
}

describe.each(sqlBackends())('Contact import (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  let work: string;

  beforeAll(async () => {
    // A small upload limit, so the oversized-upload cases need no large file.
    api = await ApiTestApp.start(backend, { MAILPACKR_UPLOAD_MAX_MB: '1' });
    ({ apiKey, tenantId } = await api.createTenant('Importers Ltd'));
    work = mkdtempSync(join(tmpdir(), 'mailpackr-import-'));
  });
  afterAll(async () => {
    await api.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const ok = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const newList = async (name: string) =>
    (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name })).createContactList.id;
  const importCsv = async (listId: string, csv: string, mapping?: Record<string, string>) =>
    (await ok<{ importContacts: Report }>(IMPORT, { input: { listId, csv, mapping } }))
      .importContacts;
  const members = async (listId: string) =>
    (
      await ok<{ recipients: { edges: Array<{ node: Member }> } }>(MEMBERS, { listId, first: 100 })
    ).recipients.edges.map((e) => e.node);

  const memberCount = async (listId: string) => {
    const { rows } = await api.runtime.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM recipient_memberships WHERE list_id = $1',
      [listId],
    );
    return rows[0]!.n;
  };

  describe('When a CSV file with quotes, line breaks, a BOM, duplicates and bad rows is imported', () => {
    const csv =
      '\uFEFFE-mail,First name,Last name,City\r\n' +
      'ada@example.org,Ada,Lovelace,"London, UK"\r\n' +
      '"grace@example.org","Grace","Hopper","New\r\nYork"\r\n' +
      'not-an-email,Bad,Row,Nowhere\r\n' +
      'ADA@Example.org ,Ada,King,\r\n' +
      'too,many,columns,here,extra\r\n' +
      '\r\n' +
      'alan@example.org,Alan,Turing,"=cmd|\' /C calc\'!A0"\r\n';

    it('should add each person once, merge duplicates and report bad rows by line', async () => {
      const listId = await newList('Imported');
      const report = await importCsv(listId, csv);
      expect(report).toMatchObject({ rows: 6, added: 3, updated: 0, invalid: 2 });
      expect(report.skipped).toMatchObject({ total: 1, duplicate: 1 });
      expect(report.problems).toEqual([
        { line: 5, reason: expect.stringContaining('invalid email') },
        { line: 7, reason: expect.stringMatching(/column/i) },
      ]);
      const byEmail = new Map((await members(listId)).map((m) => [m.email, m]));
      expect([...byEmail.keys()].sort()).toEqual([
        'ada@example.org',
        'alan@example.org',
        'grace@example.org',
      ]);
      // The later duplicate row wins the name; its empty city does not erase the first one.
      expect(byEmail.get('ada@example.org')).toMatchObject({
        name: 'Ada King',
        attributes: { City: 'London, UK' },
      });
      expect(byEmail.get('grace@example.org')?.attributes).toEqual({ City: 'New\r\nYork' });
    });

    it('should add nothing when the same file is imported again', async () => {
      const listId = await newList('Twice');
      await importCsv(listId, csv);
      const again = await importCsv(listId, csv);
      expect(again).toMatchObject({ added: 0, updated: 0, invalid: 2 });
      expect(again.skipped).toMatchObject({ unchanged: 3, duplicate: 1 });
      expect(await members(listId)).toHaveLength(3);
    });
  });

  describe('When the same address lands in batches in flight at once', () => {
    it('should still add each person once, lose no change, and keep the later row', async () => {
      const listId = await newList('Overlapping');
      const tag = Date.now().toString(36);
      // Batches of 2 with three in flight: each address races its duplicate one or two batches on.
      const rows = ['a', 'b', 'a', 'c', 'b', 'd', 'c', 'a', 'e', 'f', 'e', 'g'].map(
        (who, i) => `${who}.${tag}@example.org,Name ${who} ${i}`,
      );
      const report = await api.runtime.contactImport.run({
        context: { tenantId, actor: 'test:import' },
        listId,
        source: Readable.from([`email,name\n${rows.join('\n')}\n`]),
        batchSize: 2,
      });
      await api.runtime.audience.waitForReadModels(report.position);
      expect(report).toMatchObject({ rows: 12, added: 7, invalid: 0 });
      expect(report.added + report.updated + report.skipped.total).toBe(12);
      const byEmail = new Map((await members(listId)).map((m) => [m.email, m.name]));
      expect(byEmail).toEqual(
        new Map([
          [`a.${tag}@example.org`, 'Name a 7'],
          [`b.${tag}@example.org`, 'Name b 4'],
          [`c.${tag}@example.org`, 'Name c 6'],
          [`d.${tag}@example.org`, 'Name d 5'],
          [`e.${tag}@example.org`, 'Name e 10'],
          [`f.${tag}@example.org`, 'Name f 9'],
          [`g.${tag}@example.org`, 'Name g 11'],
        ]),
      );
      for (const email of byEmail.keys()) {
        const id = await api.runtime.audience.findByEmail(tenantId, email);
        const events = await api.runtime.store.readStream(`recipient-${id}`);
        const added = events.filter((e) => e.type === 'RecipientAdded');
        expect(added).toHaveLength(1);
        expect(added[0]!.data).toMatchObject({ listIds: [listId] }); // joined in the same event
        expect(events.filter((e) => e.type === 'RecipientSubscribed')).toHaveLength(0);
      }
    });
  });

  describe('When an earlier import stopped after creating the keys of its batch', () => {
    it('should still add those people, with the keys already there', async () => {
      const listId = await newList('Resumed');
      const tag = Date.now().toString(36);
      const emails = [`k1.${tag}@example.org`, `k2.${tag}@example.org`];
      const naturalIds = emails.map((email) =>
        api.runtime.audience.naturalId(
          tenantId,
          api.runtime.audience.identify(tenantId, email).index,
        ),
      );
      const created = await api.runtime.vault.createKeys(tenantId, naturalIds);
      expect(created.size).toBe(2);
      api.runtime.vault.clearCache(); // as in a new process

      const report = await importCsv(listId, `email\n${emails.join('\n')}\n`);
      expect(report).toMatchObject({ added: 2, invalid: 0 });
      const byEmail = new Map((await members(listId)).map((m) => [m.email, m.id]));
      expect([...byEmail.keys()].sort()).toEqual([...emails].sort());
      expect(emails.map((e) => byEmail.get(e))).toEqual(naturalIds);
    });
  });

  describe('When an address was erased or left the list', () => {
    it('should never add it back, in any spelling', async () => {
      const listId = await newList('Returning');
      await importCsv(listId, 'email,name\nerased.one@example.org,Eve\nleaver@example.org,Lee\n');
      const [leaver] = (await members(listId)).filter((m) => m.email === 'leaver@example.org');
      await ok(UNSUBSCRIBE, { input: { id: leaver!.id, listId } });
      await ok(ERASE, { input: { email: 'erased.one@example.org', basis: 'GDPR_ART17' } });

      const spellings = [
        'erased.one@example.org',
        'ERASED.ONE@EXAMPLE.ORG',
        '  Erased.One@example.org  ',
        "'erased.one@example.org'",
      ];
      const report = await importCsv(
        listId,
        `email,name\n${spellings.map((s) => `"${s}",Eve again`).join('\n')}\nleaver@example.org,Lee\n`,
      );
      expect(report).toMatchObject({ added: 0, updated: 0, invalid: 0 });
      expect(report.skipped).toMatchObject({ erased: 1, duplicate: 3, unsubscribed: 1 });
      const other = await newList('Elsewhere');
      const elsewhere = await importCsv(other, `email\n${spellings[1]}\n`);
      expect(elsewhere).toMatchObject({ added: 0 });
      expect(elsewhere.skipped.erased).toBe(1);
      expect(await members(other)).toEqual([]);
    });
  });

  describe('When the input is wrong', () => {
    it('should answer with typed errors and change nothing', async () => {
      const listId = await newList('Guarded');
      const noEmail = await api.graphql(
        IMPORT,
        { input: { listId, csv: 'name,city\nAda,London\n' } },
        apiKey,
      );
      expect(noEmail.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'CSV_NO_EMAIL_COLUMN',
      });
      const unknownList = await api.graphql(
        IMPORT,
        {
          input: { listId: '0b6f6a8e-1111-4222-8333-944445555666', csv: 'email\nx@example.org\n' },
        },
        apiKey,
      );
      expect(unknownList.errors?.[0]?.extensions).toMatchObject({
        code: 'NOT_FOUND',
        reason: 'CONTACT_LIST_NOT_FOUND',
      });
      const mapped = await importCsv(listId, 'Mail,Full\nmapped@example.org,Mapped Person\n', {
        email: 'Mail',
        name: 'Full',
      });
      expect(mapped.added).toBe(1);
      const unterminated = await importCsv(
        listId,
        'email,name\nok@example.org,Ok\n"broken@example.org,Never closed\n',
      );
      expect(unterminated).toMatchObject({ added: 1, invalid: 1 });
      expect(unterminated.problems[0]?.line).toBe(3);
    });
  });

  describe('When a frontend uploads the CSV file (GraphQL multipart request)', () => {
    const csvOf = (tag: string, count: number, padding = 0) =>
      'email,name,note\n' +
      Array.from(
        { length: count },
        (_, i) => `up${i}.${tag}@example.org,Uploaded ${i},${'x'.repeat(padding)}\n`,
      ).join('');

    it('should stream it through the same import, in batches, with the same report', async () => {
      const listId = await newList('Uploaded');
      const tag = Date.now().toString(36);
      const content = `${csvOf(tag, 2500)}not-an-email,Broken,\n`;
      const res = await api.upload<{ importContacts: Report }>(
        IMPORT,
        { input: { listId } },
        { variable: 'file', name: 'contacts.csv', content },
        { apiKey },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.importContacts).toMatchObject({ rows: 2501, added: 2500, invalid: 1 });
      expect(res.data!.importContacts.problems).toEqual([
        { line: 2502, reason: expect.stringContaining('invalid email') },
      ]);
      expect(await memberCount(listId)).toBe(2500);

      const again = await api.upload<{ importContacts: Report }>(
        IMPORT,
        { input: { listId } },
        { variable: 'file', name: 'contacts.csv', content },
        { apiKey, chunked: true },
      );
      expect(again.data!.importContacts).toMatchObject({ added: 0, updated: 0, invalid: 1 });
    });

    it('should refuse it without a CSRF preflight header, and refuse a file and csv together or neither', async () => {
      const listId = await newList('Guarded upload');
      const file = { variable: 'file', name: 'c.csv', content: 'email\nnever@example.org\n' };
      const noPreflight = await api.upload(IMPORT, { input: { listId } }, file, {
        apiKey,
        preflight: false,
      });
      expect(noPreflight.status).toBe(400);
      const both = await api.upload(
        IMPORT,
        { input: { listId, csv: 'email\nnever@example.org\n' } },
        file,
        { apiKey },
      );
      expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      const neither = await api.graphql(IMPORT, { input: { listId } }, apiKey);
      expect(neither.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await members(listId)).toEqual([]);
    });

    it('should refuse a file over the upload limit before importing anything', async () => {
      const listId = await newList('Too large');
      const content = csvOf(Date.now().toString(36), 6000, 200); // ~1.4 MB, the limit is 1 MiB
      const res = await api.upload(
        IMPORT,
        { input: { listId } },
        { variable: 'file', name: 'big.csv', content },
        { apiKey },
      );
      expect(res.status).toBe(413);
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'UPLOAD_TOO_LARGE',
      });
      expect(await members(listId)).toEqual([]);
    });

    it('should stop a chunked upload at the limit with a typed error', async () => {
      const listId = await newList('Too large, chunked');
      const content = csvOf(Date.now().toString(36), 6000, 200);
      const res = await api.upload(
        IMPORT,
        { input: { listId } },
        { variable: 'file', name: 'big.csv', content },
        { apiKey, chunked: true },
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'UPLOAD_TOO_LARGE',
      });
      // The rows before the limit went in; the same file through the CLI adds the rest.
      expect(await memberCount(listId)).toBeLessThan(6000);
    });
  });

  describe('When support staff import a file with the CLI', () => {
    it('should import it, print the counts and write bad rows to the errors file', async () => {
      const listId = await newList('From the CLI');
      const file = join(work, 'contacts.csv');
      const errors = join(work, 'errors.csv');
      const rows = Array.from(
        { length: 2500 },
        (_, i) => `cli${i}@example.org,Person ${i},${i % 7}`,
      );
      writeFileSync(file, `email,name,score\n${rows.join('\n')}\nbroken,Nobody,0\n`);
      const lines: string[] = [];
      const code = await runRecipientCommand(
        api.runtime,
        'import',
        [file],
        { tenant: tenantId, list: listId, errors },
        (line = '') => lines.push(line),
        await cliCaller(api.runtime, { apiKey }, tenantId),
      );
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(
        /Imported 2501 rows .*: 2500 added, 0 updated, .* 1 invalid/,
      );
      expect(readFileSync(errors, 'utf8')).toBe('line,reason\r\n2502,invalid email: no @\r\n');
      const found = await api.graphql<{ recipients: { edges: Array<{ node: Member }> } }>(
        `query { recipients(email: "cli2499@example.org") { edges { node { name attributes } } } }`,
        {},
        apiKey,
      );
      expect(found.data!.recipients.edges[0]!.node).toEqual({
        name: 'Person 2499',
        attributes: { score: '0' },
      });
    });
  });
});
