import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { isErasureReceiptIntact, type ErasureReceipt } from '#privacy';
import { sqlBackends, tablesHoldingMarker } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const RECIPIENT = `id email name attributes status restricted objected unsubscribedFromAll revision erasedAt
  memberships { listId status since confirmedAt optInExpiresAt consent { source collectedAt ipAddress } list { id name } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { ${RECIPIENT} } }`;
const GET = `query($id: ID!) { recipient(id: $id) { ${RECIPIENT} timeline { revision type actor data } } }`;
const FIND = `query($email: String, $listId: ID, $status: MembershipStatus, $first: Int, $after: String) {
  recipients(email: $email, listId: $listId, status: $status, first: $first, after: $after) {
    edges { cursor node { id email } } pageInfo { hasNextPage endCursor } } }`;
const CORRECT = `mutation($input: CorrectRecipientInput!) { correctRecipient(input: $input) { ${RECIPIENT} } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { ${RECIPIENT} } }`;
const SUBSCRIBE = `mutation($input: SubscribeRecipientInput!) { subscribeRecipient(input: $input) { ${RECIPIENT} } }`;
const REQUEST_OPT_IN = `mutation($input: RequestOptInInput!) { requestOptIn(input: $input) { token expiresAt recipient { ${RECIPIENT} } } }`;
const CONFIRM_OPT_IN = `mutation($input: ConfirmOptInInput!) { confirmOptIn(input: $input) { ${RECIPIENT} } }`;
const RESTRICT = `mutation($input: DataSubjectRequestInput!) { restrictRecipient(input: $input) { ${RECIPIENT} } }`;
const LIFT = `mutation($input: DataSubjectRequestInput!) { liftRestriction(input: $input) { ${RECIPIENT} } }`;
const OBJECT = `mutation($input: DataSubjectRequestInput!) { objectToProcessing(input: $input) { ${RECIPIENT} } }`;
const RECEIPT = `requestId subjectId erasedAt basis requestedBy reference dataKeyDestroyed
  historyEventsMadeUnreadable readModelsPurged listMembershipsRemoved receiptHash json`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased receipt { ${RECEIPT} } } }`;
const CHILD = `mutation($input: DataSubjectRequestInput!) { flagRecipientAsChild(input: $input) { alreadyErased receipt { ${RECEIPT} } } }`;
const GET_RECEIPT = `query($id: ID!) { erasureReceipt(recipientId: $id) { ${RECEIPT} } }`;
const EXPORT = `mutation($input: DataSubjectRequestInput!) { exportRecipientData(input: $input) { recipientId generatedAt json csv } }`;
const SUPPRESSIONS = `query($reason: SuppressionReason) { suppressions(first: 100, reason: $reason) {
  edges { node { reason suppressedAt email recipientId } } } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const DELETE_LIST = `mutation($id: ID!) { deleteContactList(input: { id: $id }) { id } }`;

interface MembershipView {
  listId: string;
  status: string;
  confirmedAt: string | null;
  consent: { source: string; collectedAt: string; ipAddress: string | null };
  list: { id: string; name: string } | null;
}

interface RecipientView {
  id: string;
  email: string;
  name: string | null;
  attributes: Record<string, unknown> | null;
  status: string;
  restricted: boolean;
  objected: boolean;
  unsubscribedFromAll: boolean;
  revision: number;
  erasedAt: string | null;
  memberships: MembershipView[];
  timeline?: Array<{
    revision: number;
    type: string;
    actor: string | null;
    data: Record<string, unknown>;
  }>;
}

type ReceiptView = Omit<ErasureReceipt['removed'], 'readModels'> & {
  requestId: string;
  subjectId: string;
  basis: string;
  reference: string | null;
  receiptHash: string;
  json: string;
  historyEventsMadeUnreadable: number;
  listMembershipsRemoved: number;
};

describe.each(sqlBackends())('Recipients and data-subject rights over GraphQL (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let otherKey: string;
  let tenantId: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey, tenantId } = await api.createTenant('Audience Ltd'));
    ({ apiKey: otherKey } = await api.createTenant('Someone Else Inc'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(
    query: string,
    variables: Record<string, unknown>,
    key = apiKey,
  ): Promise<T> => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const errorOf = async (query: string, variables: Record<string, unknown>, key = apiKey) => {
    const res = await api.graphql(query, variables, key);
    const error = res.errors?.[0];
    return {
      code: error?.extensions?.code,
      reason: (error?.extensions as { reason?: string })?.reason,
      message: error?.message,
    };
  };
  const newList = async (name = 'Newsletter'): Promise<string> =>
    (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name })).createContactList.id;
  const add = async (input: Record<string, unknown>): Promise<RecipientView> =>
    (await ok<{ addRecipient: RecipientView }>(ADD, { input })).addRecipient;
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  describe('When a recipient is added to a list', () => {
    it('should serve the decrypted profile, membership, consent evidence and timeline', async () => {
      const listId = await newList();
      const email = `Ada.${unique()}@Example.COM`;
      const added = await add({
        email: `  ${email} `,
        name: ' Ada Lovelace ',
        attributes: { city: 'London', vip: true, visits: 3 },
        listIds: [listId],
        source: 'FORM',
        consent: { ipAddress: '203.0.113.7' },
      });
      expect(added).toMatchObject({
        email: email.replace('Example.COM', 'example.com'),
        name: 'Ada Lovelace',
        attributes: { city: 'London', vip: true, visits: 3 },
        status: 'ACTIVE',
        revision: 0, // added and subscribed in one event
        memberships: [
          {
            listId,
            status: 'SUBSCRIBED',
            consent: { source: 'FORM', ipAddress: '203.0.113.7' },
            list: { id: listId, name: 'Newsletter' },
          },
        ],
      });
      const { recipient } = await ok<{ recipient: RecipientView }>(GET, { id: added.id });
      // Added and subscribed in one event: the lists and consent are in RecipientAdded.
      expect(recipient.timeline!.map((e) => e.type)).toEqual(['RecipientAdded']);
      expect(recipient.timeline![0]!.data).toMatchObject({
        listIds: [listId],
        consent: { source: 'form', ipAddress: '203.0.113.7' },
      });
      expect(recipient.timeline![0]!.data).toMatchObject({ name: 'Ada Lovelace' });
      expect(recipient.timeline![0]!.actor).toMatch(/^api-key:/);
    });

    it('should find it by exact email in any spelling, and page through a list', async () => {
      const listId = await newList('Paging');
      const tag = unique();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await add({ email: `p${i}.${tag}@example.org`, listIds: [listId] })).id);
      const found = await ok<{ recipients: { edges: Array<{ node: { id: string } }> } }>(FIND, {
        email: ` "P3.${tag.toUpperCase()}@EXAMPLE.org" `,
      });
      expect(found.recipients.edges.map((e) => e.node.id)).toEqual([ids[3]]);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: {
          recipients: {
            edges: Array<{ node: { id: string } }>;
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        } = await ok(FIND, { listId, first: 2, after, status: 'SUBSCRIBED' });
        seen.push(...page.recipients.edges.map((e) => e.node.id));
        if (!page.recipients.pageInfo.hasNextPage) break;
        after = page.recipients.pageInfo.endCursor;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it('should answer every field of a page as the recipient itself does, whichever fields are asked', async () => {
      // A page loads only the columns its fields need: every selection must still be whole.
      const listId = await newList('Columns');
      const tag = unique();
      const first = await add({
        email: `c1.${tag}@example.org`,
        name: 'Column One',
        attributes: { plan: 'gold' },
        listIds: [listId],
      });
      await add({ email: `c2.${tag}@example.org`, listIds: [listId] });
      await ok(RESTRICT, { input: { id: first.id } });
      const ALL = `id email name attributes status restricted objected unsubscribedFromAll revision
        createdAt updatedAt erasedAt memberships { listId } messages { edges { node { id } } }`;
      for (const args of [`listId: "${listId}"`, `email: "c1.${tag}@example.org"`]) {
        const page = await ok<{ recipients: { edges: Array<{ node: Record<string, unknown> }> } }>(
          `{ recipients(${args}) { edges { node { ${ALL} } } } }`,
          {},
        );
        expect(page.recipients.edges.length).toBeGreaterThan(0);
        for (const { node } of page.recipients.edges) {
          const one = await ok<{ recipient: Record<string, unknown> }>(
            `query($id: ID!) { recipient(id: $id) { ${ALL} } }`,
            { id: node.id },
          );
          expect(node).toEqual(one.recipient);
        }
      }
      const some = await ok<{ recipients: { edges: Array<{ node: Record<string, unknown> }> } }>(
        `{ recipients(listId: "${listId}") { edges { node { __typename restricted ...Who } } } }
         fragment Who on Recipient { name revision }`,
        {},
      );
      expect(some.recipients.edges.map((e) => e.node)).toEqual([
        expect.objectContaining({ __typename: 'Recipient', name: null, restricted: false }),
        expect.objectContaining({ __typename: 'Recipient', name: 'Column One', restricted: true }),
      ]);
      expect(some.recipients.edges.every((e) => Number.isInteger(e.node.revision))).toBe(true);
    });

    it('should refuse a second recipient with the same address, an invalid address and an unknown list', async () => {
      const email = `dup.${unique()}@example.org`;
      await add({ email });
      expect(await errorOf(ADD, { input: { email: email.toUpperCase() } })).toMatchObject({
        code: 'CONFLICT',
        reason: 'RECIPIENT_ALREADY_EXISTS',
      });
      expect(await errorOf(ADD, { input: { email: 'not an email' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_EMAIL',
      });
      expect(
        await errorOf(ADD, {
          input: {
            email: `x.${unique()}@example.org`,
            listIds: ['6f1c3b0e-0000-4000-8000-000000000000'],
          },
        }),
      ).toMatchObject({ code: 'NOT_FOUND', reason: 'CONTACT_LIST_NOT_FOUND' });
      expect(
        await errorOf(ADD, {
          input: { email: `y.${unique()}@example.org`, attributes: { nested: { a: 1 } } },
        }),
      ).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ATTRIBUTES' });
    });
  });

  describe('When a recipient is corrected', () => {
    it('should update every read model and keep the old address out of search', async () => {
      const old = `typo.${unique()}@exmaple.com`;
      const fixed = old.replace('exmaple', 'example');
      const added = await add({ email: old, name: 'Grace' });
      const { correctRecipient } = await ok<{ correctRecipient: RecipientView }>(CORRECT, {
        input: { id: added.id, email: fixed, name: 'Grace Hopper', expectedRevision: 0 },
      });
      expect(correctRecipient).toMatchObject({ email: fixed, name: 'Grace Hopper', revision: 1 });
      const byOld = await ok<{ recipients: { edges: unknown[] } }>(FIND, { email: old });
      expect(byOld.recipients.edges).toEqual([]);
      const byNew = await ok<{ recipients: { edges: Array<{ node: { id: string } }> } }>(FIND, {
        email: fixed,
      });
      expect(byNew.recipients.edges.map((e) => e.node.id)).toEqual([added.id]);
      expect(
        await errorOf(CORRECT, { input: { id: added.id, name: 'X', expectedRevision: 0 } }),
      ).toMatchObject({
        code: 'CONFLICT',
      });
    });
  });

  describe('When a recipient unsubscribes', () => {
    it('should leave one list, then every list and land on the suppression list', async () => {
      const [a, b] = [await newList('A'), await newList('B')];
      const added = await add({ email: `leaver.${unique()}@example.org`, listIds: [a, b] });
      const one = (
        await ok<{ unsubscribeRecipient: RecipientView }>(UNSUBSCRIBE, {
          input: { id: added.id, listId: a },
        })
      ).unsubscribeRecipient;
      expect(one.memberships.find((m) => m.listId === a)?.status).toBe('UNSUBSCRIBED');
      expect(one.memberships.find((m) => m.listId === b)?.status).toBe('SUBSCRIBED');
      expect(await errorOf(SUBSCRIBE, { input: { id: added.id, listId: a } })).toMatchObject({
        reason: 'ALREADY_UNSUBSCRIBED',
      });
      const all = (
        await ok<{ unsubscribeRecipient: RecipientView }>(UNSUBSCRIBE, { input: { id: added.id } })
      ).unsubscribeRecipient;
      expect(all.unsubscribedFromAll).toBe(true);
      expect(all.memberships.every((m) => m.status === 'UNSUBSCRIBED')).toBe(true);
      const { suppressions } = await ok<{
        suppressions: {
          edges: Array<{
            node: { reason: string; email: string | null; recipientId: string | null };
          }>;
        };
      }>(SUPPRESSIONS, { reason: 'UNSUBSCRIBED' });
      expect(suppressions.edges.map((e) => e.node)).toContainEqual(
        expect.objectContaining({ recipientId: added.id, email: added.email }),
      );
    });
  });

  describe('When a double opt-in is requested', () => {
    it('should stay pending until the token is confirmed, and reject a forged token', async () => {
      const listId = await newList('Double opt-in');
      const added = await add({ email: `doi.${unique()}@example.org` });
      const { requestOptIn } = await ok<{
        requestOptIn: { token: string; recipient: RecipientView };
      }>(REQUEST_OPT_IN, {
        input: { id: added.id, listId, consent: { ipAddress: '2001:db8::1' } },
      });
      expect(requestOptIn.recipient.memberships[0]).toMatchObject({
        status: 'PENDING',
        consent: { source: 'FORM' },
      });
      const forged = `${requestOptIn.token.slice(0, -4)}AAAA`;
      expect(await errorOf(CONFIRM_OPT_IN, { input: { token: forged } })).toMatchObject({
        reason: 'OPT_IN_TOKEN_INVALID',
      });
      expect(
        await errorOf(CONFIRM_OPT_IN, { input: { token: requestOptIn.token } }, otherKey),
      ).toMatchObject({
        reason: 'OPT_IN_TOKEN_INVALID',
      });
      const { confirmOptIn } = await ok<{ confirmOptIn: RecipientView }>(CONFIRM_OPT_IN, {
        input: { token: requestOptIn.token, ipAddress: '198.51.100.4' },
      });
      expect(confirmOptIn.memberships[0]).toMatchObject({
        status: 'SUBSCRIBED',
        confirmedAt: expect.any(String),
      });
      // Confirming twice is harmless.
      await ok(CONFIRM_OPT_IN, { input: { token: requestOptIn.token } });
    });
  });

  describe('When processing is restricted or objected to', () => {
    it('should flag the recipient, by id or by email, idempotently', async () => {
      const email = `restrict.${unique()}@example.org`;
      const added = await add({ email });
      const restricted = (
        await ok<{ restrictRecipient: RecipientView }>(RESTRICT, {
          input: { email: email.toUpperCase(), reference: 'TICKET-1' },
        })
      ).restrictRecipient;
      expect(restricted).toMatchObject({ id: added.id, restricted: true });
      await ok(RESTRICT, { input: { id: added.id } });
      expect(
        (await ok<{ liftRestriction: RecipientView }>(LIFT, { input: { id: added.id } }))
          .liftRestriction.restricted,
      ).toBe(false);
      expect(
        (await ok<{ objectToProcessing: RecipientView }>(OBJECT, { input: { id: added.id } }))
          .objectToProcessing.objected,
      ).toBe(true);
      expect(
        await errorOf(RESTRICT, { input: { email: `nobody.${unique()}@example.org` } }),
      ).toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });

  describe('When a recipient is erased', () => {
    it('should return a receipt, read [erased] everywhere, suppress the address and never take it back', async () => {
      const listId = await newList('Erasure');
      const email = `erase.me.${unique()}@example.org`;
      const added = await add({
        email,
        name: 'Erin Erasable',
        attributes: { secret: 'hidden' },
        listIds: [listId],
      });
      const { eraseRecipient } = await ok<{
        eraseRecipient: { alreadyErased: boolean; receipt: ReceiptView };
      }>(ERASE, {
        input: { email: ` ${email.toUpperCase()} `, basis: 'GDPR_ART17', reference: 'DSR-2026/42' },
      });
      const receipt = eraseRecipient.receipt;
      expect(eraseRecipient.alreadyErased).toBe(false);
      expect(receipt).toMatchObject({
        subjectId: added.id,
        basis: 'GDPR_ART17',
        reference: 'DSR-2026/42',
        dataKeyDestroyed: true,
        historyEventsMadeUnreadable: 2,
        listMembershipsRemoved: 1,
      });
      expect(
        isErasureReceiptIntact({
          ...(JSON.parse(receipt.json) as ErasureReceipt),
          receiptHash: receipt.receiptHash,
        }),
      ).toBe(true);
      expect(receipt.json).not.toContain(email);

      const { recipient } = await ok<{ recipient: RecipientView }>(GET, { id: added.id });
      expect(recipient).toMatchObject({
        status: 'ERASED',
        email: '[erased]',
        name: '[erased]',
        attributes: null,
        memberships: [],
      });
      expect(recipient.timeline!.map((e) => e.type)).toEqual(['RecipientAdded', 'RecipientErased']);
      expect(recipient.timeline![0]!.data).toMatchObject({
        email: '[erased]',
        name: '[erased]',
        attributes: '[erased]',
      });

      const again = await ok<{ eraseRecipient: { alreadyErased: boolean; receipt: ReceiptView } }>(
        ERASE,
        {
          input: { id: added.id, basis: 'GDPR_ART17' },
        },
      );
      expect(again.eraseRecipient).toEqual({ alreadyErased: true, receipt });
      expect(
        (await ok<{ erasureReceipt: ReceiptView }>(GET_RECEIPT, { id: added.id })).erasureReceipt,
      ).toEqual(receipt);

      for (const spelling of [email, email.toUpperCase(), ` "${email}" `, `<${email}>`]) {
        expect(await errorOf(ADD, { input: { email: spelling } })).toMatchObject({
          code: 'CONFLICT',
          reason: 'RECIPIENT_ERASED',
        });
      }
      expect(await errorOf(CORRECT, { input: { id: added.id, name: 'Back' } })).toMatchObject({
        reason: 'RECIPIENT_ERASED',
      });
      expect(await errorOf(EXPORT, { input: { id: added.id } })).toMatchObject({
        reason: 'RECIPIENT_ERASED',
      });
      const { suppressions } = await ok<{
        suppressions: {
          edges: Array<{
            node: { reason: string; email: string | null; recipientId: string | null };
          }>;
        };
      }>(SUPPRESSIONS, { reason: 'ERASED' });
      expect(suppressions.edges.length).toBeGreaterThan(0);
      expect(
        suppressions.edges.every((e) => e.node.email === null && e.node.recipientId === null),
      ).toBe(true);
    });

    it('should erase a child through the same path', async () => {
      const added = await add({ email: `kid.${unique()}@example.org` });
      const { flagRecipientAsChild } = await ok<{ flagRecipientAsChild: { receipt: ReceiptView } }>(
        CHILD,
        { input: { id: added.id } },
      );
      expect(flagRecipientAsChild.receipt).toMatchObject({
        subjectId: added.id,
        basis: 'CHILD_UNDER_13',
      });
    });

    it('should reject an unknown recipient and nonsense input', async () => {
      expect(
        await errorOf(ERASE, {
          input: { email: `ghost.${unique()}@example.org`, basis: 'GDPR_ART17' },
        }),
      ).toMatchObject({ code: 'NOT_FOUND' });
      expect(await errorOf(ERASE, { input: { id: 'nope', basis: 'GDPR_ART17' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
      });
      const added = await add({ email: `ref.${unique()}@example.org` });
      expect(
        await errorOf(ERASE, {
          input: { id: added.id, basis: 'GDPR_ART17', reference: 'ada@example.org' },
        }),
      ).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_REFERENCE',
      });
      expect((await ok<{ recipient: RecipientView }>(GET, { id: added.id })).recipient.status).toBe(
        'ACTIVE',
      );
    });
  });

  describe('When a recipient exports their data', () => {
    it('should hold everything about that one person as JSON and CSV, escaped against formulas', async () => {
      const listId = await newList('Export');
      const email = `export.${unique()}@example.org`;
      const other = await add({
        email: `bystander.${unique()}@example.org`,
        name: 'Bystander',
        listIds: [listId],
      });
      const added = await add({
        email,
        name: '=HYPERLINK("http://evil")',
        attributes: { plan: '+gold' },
        listIds: [listId],
      });
      const { exportRecipientData } = await ok<{
        exportRecipientData: { recipientId: string; json: string; csv: string };
      }>(EXPORT, {
        input: { email },
      });
      const doc = JSON.parse(exportRecipientData.json) as {
        tenantId: string;
        recipient: { id: string; email: string; name: string };
        memberships: Array<{ listId: string; listName: string }>;
        events: Array<{ type: string }>;
      };
      expect(doc).toMatchObject({
        tenantId,
        recipient: { id: added.id, email, name: '=HYPERLINK("http://evil")' },
        memberships: [{ listId, listName: 'Export' }],
      });
      expect(doc.events.map((e) => e.type)).toEqual(['RecipientAdded']);
      expect(exportRecipientData.json).not.toContain(other.id);
      expect(exportRecipientData.json).not.toContain('Bystander');
      expect(exportRecipientData.csv).toContain(`'=HYPERLINK`);
      expect(exportRecipientData.csv).not.toMatch(/(^|,)=HYPERLINK/m);
    });
  });

  describe('When a list is deleted', () => {
    it('should remove its memberships and keep the recipients', async () => {
      const listId = await newList('Doomed');
      const added = await add({ email: `member.${unique()}@example.org`, listIds: [listId] });
      await ok(DELETE_LIST, { id: listId });
      const { recipient } = await ok<{ recipient: RecipientView }>(GET, { id: added.id });
      expect(recipient).toMatchObject({ status: 'ACTIVE', memberships: [] });
      expect(await errorOf(FIND, { listId, first: 10 })).toEqual({
        code: undefined,
        reason: undefined,
        message: undefined,
      });
    });
  });

  describe('When the tenant suppresses an address by hand', () => {
    it('should never add it, import it or show it, whether or not it was a recipient', async () => {
      const email = `manual.${unique()}@example.org`;
      const SUPPRESS = `mutation($input: SuppressEmailInput!) { suppressEmail(input: $input) { reason suppressedAt email recipientId } }`;
      const first = await ok<{ suppressEmail: { reason: string; email: string | null } }>(
        SUPPRESS,
        {
          input: { email: ` ${email.toUpperCase()} ` },
        },
      );
      expect(first.suppressEmail).toMatchObject({ reason: 'MANUAL', email: null });
      await ok(SUPPRESS, { input: { email } });
      expect(await errorOf(ADD, { input: { email } })).toMatchObject({
        code: 'CONFLICT',
        reason: 'RECIPIENT_SUPPRESSED',
      });
      const listId = await newList('Manual');
      const imported = await ok<{
        importContacts: { added: number; skipped: { suppressed: number } };
      }>(
        `mutation($input: ImportContactsInput!) { importContacts(input: $input) { added skipped { suppressed } } }`,
        { input: { listId, csv: `email\n${email}\n` } },
      );
      expect(imported.importContacts).toEqual({ added: 0, skipped: { suppressed: 1 } });
      expect(await tablesHoldingMarker(api.runtime.pool, email)).toEqual([]);
      expect(await errorOf(SUPPRESS, { input: { email: 'not-an-address' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
      });
    });
  });

  describe('When the tenant lifts a suppression it made by hand', () => {
    const SUPPRESS = `mutation($input: SuppressEmailInput!) { suppressEmail(input: $input) { reason } }`;
    const LIFT = `mutation($input: LiftSuppressionInput!) { liftSuppression(input: $input) {
      lifted remaining { reason email recipientId } } }`;
    type Lift = { liftSuppression: { lifted: boolean; remaining: { reason: string } | null } };

    it('should take the address again, once; and say NOT_FOUND for one never suppressed', async () => {
      const email = `lifted.${unique()}@example.org`;
      await ok(SUPPRESS, { input: { email } });
      const lift = await ok<Lift>(LIFT, {
        input: { email: email.toUpperCase(), reference: 'T-1' },
      });
      expect(lift.liftSuppression).toEqual({ lifted: true, remaining: null });
      const again = await ok<Lift>(LIFT, { input: { email } });
      expect(again.liftSuppression).toEqual({ lifted: false, remaining: null });
      const added = await add({ email });
      expect(added.status).toBe('ACTIVE');
      expect(
        await errorOf(LIFT, { input: { email: `never.${unique()}@example.org` } }),
      ).toMatchObject({ code: 'NOT_FOUND', reason: 'SUPPRESSION_NOT_FOUND' });
      expect(await errorOf(LIFT, { input: { email, reference: 'two\nlines' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
      });
    });

    it('should never lift what the person chose: an unsubscription from everything stays', async () => {
      const email = `chose.${unique()}@example.org`;
      const added = await add({ email });
      await ok(SUPPRESS, { input: { email } });
      await ok(
        `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`,
        { input: { id: added.id } },
      );
      const lift = await ok<Lift>(LIFT, { input: { email } });
      expect(lift.liftSuppression).toMatchObject({
        lifted: true,
        remaining: { reason: 'UNSUBSCRIBED', recipientId: added.id },
      });
      expect(await errorOf(ADD, { input: { email } })).toMatchObject({ code: 'CONFLICT' });
    });
  });

  describe('When another tenant asks', () => {
    it('should not see, change, erase or export this tenant’s recipients', async () => {
      const email = `private.${unique()}@example.org`;
      const added = await add({ email });
      expect(await errorOf(GET, { id: added.id }, otherKey)).toMatchObject({ code: 'NOT_FOUND' });
      expect(
        await errorOf(CORRECT, { input: { id: added.id, name: 'Hijack' } }, otherKey),
      ).toMatchObject({ code: 'NOT_FOUND' });
      expect(
        await errorOf(ERASE, { input: { id: added.id, basis: 'GDPR_ART17' } }, otherKey),
      ).toMatchObject({ code: 'NOT_FOUND' });
      expect(await errorOf(EXPORT, { input: { id: added.id } }, otherKey)).toMatchObject({
        code: 'NOT_FOUND',
      });
      const found = await ok<{ recipients: { edges: unknown[] } }>(FIND, { email }, otherKey);
      expect(found.recipients.edges).toEqual([]);
      expect(
        (await ok<{ recipient: RecipientView }>(GET, { id: added.id })).recipient.name,
      ).toBeNull();
    });
  });
});
