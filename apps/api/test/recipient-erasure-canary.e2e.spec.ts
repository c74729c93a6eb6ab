import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { toRecipientStreamId } from '#domain';
import { exportRecipient } from '#platform';
import { ERASED } from '#privacy';
import { sqlBackends, spellingsOf, tablesHoldingMarker } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const IMPORT = `mutation($input: ImportContactsInput!) { importContacts(input: $input) { added invalid } }`;
const FIND = `query($email: String!) { recipients(email: $email) { edges { node { id } } } }`;
const REQUEST_OPT_IN = `mutation($input: RequestOptInInput!) { requestOptIn(input: $input) { token } }`;
const CONFIRM_OPT_IN = `mutation($input: ConfirmOptInInput!) { confirmOptIn(input: $input) { id } }`;
const CORRECT = `mutation($input: CorrectRecipientInput!) { correctRecipient(input: $input) { id name } }`;
const EXPORT = `mutation($input: DataSubjectRequestInput!) { exportRecipientData(input: $input) { json csv } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased receipt { subjectId receiptHash json } } }`;
const GET = `query($id: ID!) { recipient(id: $id) { email name attributes status memberships { listId }
  timeline { type data } } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;

/** Every file under `dir` whose bytes hold a spelling of `marker` (also quoted-printable). */
const filesHoldingMarker = (dir: string, marker: string): string[] => {
  const spellings = spellingsOf(marker);
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const raw = readFileSync(full).toString('latin1');
        // Mail bodies are quoted-printable, where a soft line break can fall inside a marker: read
        // every file as it is and as quoted-printable decoded.
        const decoded = raw
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        const texts = [raw.toLowerCase(), decoded.toLowerCase()];
        if (spellings.some((s) => texts.some((text) => text.includes(s)))) found.push(full);
      }
    }
  };
  walk(dir);
  return found;
};

/**
 * Canary erasure (issue: audiences, "tests that must exist"): unique markers in a recipient's
 * email, name, attributes and consent IP go through import, lists, double opt-in, correction and
 * export. Before erasure they are nowhere in plaintext (only ciphertext is stored); after it they
 * are unreadable everywhere, a full rebuild brings none back, and the history still replays.
 */
describe.each(sqlBackends())('Recipient erasure canary (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  let output: string[];

  // Logs are a place personal data must never reach: everything the process prints, from the
  // start of the app (with its logger on, at debug level) to the end, is captured and searched.
  beforeAll(async () => {
    output = [];
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      jest.spyOn(stream, 'write').mockImplementation((...args: unknown[]) => {
        output.push(String(args[0]));
        return write(...args);
      });
    }
    api = await ApiTestApp.start(backend, { LOG_LEVEL: 'debug' }, { logs: true });
    ({ apiKey, tenantId } = await api.createTenant('Canary Audiences'));
  });
  afterAll(async () => {
    await api.stop();
    jest.restoreAllMocks();
  });

  const ok = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  describe('When a recipient who went through every path is erased', () => {
    it('should leave no readable copy anywhere, survive a rebuild and still replay as [erased]', async () => {
      const id = randomUUID().slice(0, 8);
      const markers = {
        email: `canary.${id}@marker-${id}.example`,
        name: `Canarius ${randomUUID()}`,
        corrected: `Canaria ${randomUUID()}`,
        attribute: `attr-${randomUUID()}`,
        ip: `2001:db8:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`,
      };
      const listA = (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'A' }))
        .createContactList.id;
      const listB = (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'B' }))
        .createContactList.id;
      const imported = await ok<{ importContacts: { added: number; invalid: number } }>(IMPORT, {
        input: {
          listId: listA,
          csv: `email,name,secret\n"${markers.email}","${markers.name}",${markers.attribute}\n`,
        },
      });
      expect(imported.importContacts).toEqual({ added: 1, invalid: 0 });
      const recipientId = (
        await ok<{ recipients: { edges: Array<{ node: { id: string } }> } }>(FIND, {
          email: markers.email,
        })
      ).recipients.edges[0]!.node.id;
      const { requestOptIn } = await ok<{ requestOptIn: { token: string } }>(REQUEST_OPT_IN, {
        input: { id: recipientId, listId: listB, consent: { ipAddress: markers.ip } },
      });
      await ok(CONFIRM_OPT_IN, { input: { token: requestOptIn.token, ipAddress: markers.ip } });
      await ok(CORRECT, { input: { id: recipientId, name: markers.corrected } });
      const exported = await ok<{ exportRecipientData: { json: string } }>(EXPORT, {
        input: { id: recipientId },
      });
      for (const marker of [markers.email, markers.corrected, markers.attribute, markers.ip]) {
        expect(exported.exportRecipientData.json).toContain(marker);
      }

      const everywhere = async () => {
        const found: Record<string, string[]> = {};
        for (const [what, marker] of Object.entries(markers)) {
          const places = [
            ...(await tablesHoldingMarker(api.runtime.pool, marker)),
            ...filesHoldingMarker(api.runtime.config.dataDir, marker),
          ];
          if (places.length > 0) found[what] = places;
        }
        return found;
      };
      // Only ciphertext was ever stored: before erasure too, no table or file holds a marker.
      expect(await everywhere()).toEqual({});

      // Delivery: a campaign with the person's name and attribute is sent to list A. The mail in
      // the embedded outbox holds them in clear (it is the sent mail), until the erasure.
      const templateId = (
        await ok<{ createTemplate: { id: string } }>(
          `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`,
          {
            input: {
              name: 'Canary news',
              mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{name}}, {{attributes.secret}}</mj-text></mj-column></mj-section></mj-body></mjml>',
            },
          },
        )
      ).createTemplate.id;
      const campaignId = (
        await ok<{ draftCampaign: { id: string } }>(
          `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`,
          {
            input: {
              name: 'Canary campaign',
              subject: 'News',
              fromAddress: 'news@canary.example',
              listIds: [listA],
              templateId,
            },
          },
        )
      ).draftCampaign.id;
      await ok(`mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`, {
        id: campaignId,
      });
      await api.runtime.projections.catchUp();
      expect(await api.runtime.delivery.runOnce({ now: new Date() })).toMatchObject({ sent: 1 });
      expect(Object.keys(await everywhere()).sort()).toEqual(['attribute', 'corrected', 'email']);

      const erased = await ok<{ eraseRecipient: { receipt: { subjectId: string; json: string } } }>(
        ERASE,
        {
          input: {
            email: ` ${markers.email.toUpperCase()} `,
            basis: 'GDPR_ART17',
            reference: 'CANARY-1',
          },
        },
      );
      expect(erased.eraseRecipient.receipt.subjectId).toBe(recipientId);
      for (const marker of Object.values(markers))
        expect(erased.eraseRecipient.receipt.json).not.toContain(marker);
      expect(await api.runtime.vault.isShredded(recipientId)).toBe(true);

      const read = async () =>
        (
          await ok<{
            recipient: Record<string, unknown> & {
              timeline: Array<{ type: string; data: Record<string, unknown> }>;
            };
          }>(GET, { id: recipientId })
        ).recipient;
      const check = async () => {
        const recipient = await read();
        expect(recipient).toMatchObject({
          email: ERASED,
          name: ERASED,
          attributes: null,
          status: 'ERASED',
          memberships: [],
        });
        expect(recipient.timeline.map((e) => e.type)).toEqual([
          'RecipientAdded',
          'OptInRequested',
          'OptInConfirmed',
          'RecipientCorrected',
          'RecipientErased',
        ]);
        expect(recipient.timeline[0]!.data).toMatchObject({
          email: ERASED,
          name: ERASED,
          attributes: ERASED,
        });
        expect(recipient.timeline[1]!.data).toMatchObject({ consent: { ipAddress: ERASED } });
        expect(JSON.stringify(recipient)).not.toMatch(
          new RegExp(
            Object.values(markers)
              .map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
              .join('|'),
            'i',
          ),
        );
        expect(await everywhere()).toEqual({});
      };
      await check();

      // A full rebuild of every read model from the history brings nothing back.
      for (const name of [
        'recipients',
        'suppressions',
        'erasure-receipts',
        'contact-lists',
        'tenants',
      ]) {
        await api.runtime.projections.rebuild(name);
      }
      await check();

      // Replaying the stream directly (as an auditor would) gives [erased] fields, and the chain holds.
      const replay = await api.runtime.codec.decryptEvents(
        (await api.runtime.store.readStream(toRecipientStreamId(recipientId))).map((e) => ({
          type: e.type,
          data: e.data,
        })),
      );
      expect(replay[0]).toMatchObject({ email: ERASED, name: ERASED, attributes: ERASED });
      expect((await api.runtime.store.verifyChain()).ok).toBe(true);
      await expect(
        exportRecipient(api.runtime, tenantId, recipientId, new Date()),
      ).rejects.toMatchObject({ code: 'RECIPIENT_ERASED' });

      // Nothing was printed with personal data in it, at any step (and the capture works).
      const printed = output.join('').toLowerCase();
      expect(printed).toContain('mailpackr');
      for (const marker of Object.values(markers)) {
        expect(spellingsOf(marker).filter((s) => printed.includes(s))).toEqual([]);
      }
    });
  });

  describe('When an erasure races other commands on the same recipient', () => {
    it('should record exactly one RecipientErased and let no plaintext back in', async () => {
      const email = `racer.${randomUUID()}@example.org`;
      const { addRecipient } = await ok<{ addRecipient: { id: string } }>(ADD, {
        input: { email, name: 'Racer' },
      });
      const names = Array.from({ length: 6 }, () => `Late ${randomUUID()}`);
      const results = await Promise.all([
        ...names.map((name) =>
          api.graphql(CORRECT, { input: { id: addRecipient.id, name } }, apiKey),
        ),
        ...[1, 2, 3].map(() =>
          api.graphql(ERASE, { input: { id: addRecipient.id, basis: 'GDPR_ART17' } }, apiKey),
        ),
        ...names.map((name) =>
          api.graphql(CORRECT, { input: { id: addRecipient.id, attributes: { n: name } } }, apiKey),
        ),
      ]);
      const erasures = results.slice(names.length, names.length + 3);
      expect(erasures.every((r) => r.errors === undefined)).toBe(true);
      const hashes = new Set(
        erasures.map(
          (r) =>
            (r.data as { eraseRecipient: { receipt: { receiptHash: string } } }).eraseRecipient
              .receipt.receiptHash,
        ),
      );
      expect(hashes.size).toBe(1);
      for (const r of results) {
        if (r.errors) expect(r.errors[0]?.extensions?.code).toBe('CONFLICT');
      }
      const events = await api.runtime.store.readStream(toRecipientStreamId(addRecipient.id));
      const erasedAt = events.findIndex((e) => e.type === 'RecipientErased');
      expect(events.filter((e) => e.type === 'RecipientErased')).toHaveLength(1);
      expect(events.slice(erasedAt + 1)).toEqual([]);
      const recipient = (await ok<{ recipient: { name: string } }>(GET, { id: addRecipient.id }))
        .recipient;
      expect(recipient.name).toBe(ERASED);
      for (const name of [email, ...names]) {
        expect(await tablesHoldingMarker(api.runtime.pool, name)).toEqual([]);
      }
    });
  });
});
