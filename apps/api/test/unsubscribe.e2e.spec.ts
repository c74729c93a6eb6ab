import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toRecipientStreamId } from '#domain';
import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const GET = `query($id: ID!) { recipient(id: $id) { status unsubscribedFromAll memberships { listId status } } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`;
const SUPPRESSIONS = `{ suppressions(first: 100, reason: UNSUBSCRIBED) { edges { node { recipientId } } } }`;

interface RecipientView {
  status: string;
  unsubscribedFromAll: boolean;
  memberships: Array<{ listId: string; status: string }>;
}

describe.each(sqlBackends())('One-click unsubscribe (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey, tenantId } = await api.createTenant('Senders Ltd'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const subscriber = async () => {
    const listId = (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'News' }))
      .createContactList.id;
    const { id } = (
      await ok<{ addRecipient: { id: string } }>(ADD, {
        input: { email: `one.click.${unique()}@example.org`, listIds: [listId] },
      })
    ).addRecipient;
    return { recipientId: id, listId };
  };
  /** The link as a mail would carry it, pointed at the test server. */
  const linkFor = (target: { recipientId: string; listId: string | null }) => {
    const url = new URL(
      api.runtime.audience.unsubscribeLinks.url({ tenantId, ...target }, new Date()),
    );
    return `${api.url}${url.pathname}`;
  };
  const recipient = async (id: string) =>
    (await ok<{ recipient: RecipientView }>(GET, { id })).recipient;
  /** What a mail client sends (RFC 8058): a form POST, no credentials, redirects not followed. */
  const oneClick = (link: string) =>
    fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
  const unsubscribedEvents = async (recipientId: string) =>
    (await api.runtime.store.readStream(toRecipientStreamId(recipientId))).filter(
      (e) => e.type === 'RecipientUnsubscribed',
    );

  describe('When the recipient opens the link (GET)', () => {
    it('should show a confirmation page and never unsubscribe', async () => {
      const { recipientId, listId } = await subscriber();
      const res = await fetch(linkFor({ recipientId, listId }), { redirect: 'manual' });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain('<form method="post">');
      expect(html).not.toContain('@example.org');
      expect((await recipient(recipientId)).memberships).toEqual([
        { listId, status: 'SUBSCRIBED' },
      ]);
      expect(await unsubscribedEvents(recipientId)).toHaveLength(0);
    });
  });

  describe('When the mail client posts the one-click request', () => {
    it('should unsubscribe at once from that list, without login, cookie or redirect, once', async () => {
      const { recipientId, listId } = await subscriber();
      const link = linkFor({ recipientId, listId });
      const res = await oneClick(link);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('You are unsubscribed');
      expect((await recipient(recipientId)).memberships).toEqual([
        { listId, status: 'UNSUBSCRIBED' },
      ]);

      const again = await oneClick(link);
      expect(again.status).toBe(200);
      const events = await unsubscribedEvents(recipientId);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ listId, channel: 'one_click' });
      expect(events[0]!.metadata).toMatchObject({ actor: 'recipient:one-click', tenantId });
    });

    it('should leave every list and suppress the address for a link without a list', async () => {
      const { recipientId } = await subscriber();
      expect((await oneClick(linkFor({ recipientId, listId: null }))).status).toBe(200);
      expect(await recipient(recipientId)).toMatchObject({ unsubscribedFromAll: true });
      const { suppressions } = await ok<{
        suppressions: { edges: Array<{ node: { recipientId: string } }> };
      }>(SUPPRESSIONS);
      expect(suppressions.edges.map((e) => e.node.recipientId)).toContain(recipientId);
    });

    it('should answer the same for a recipient erased since, revealing nothing', async () => {
      const { recipientId, listId } = await subscriber();
      await ok(ERASE, { input: { id: recipientId, basis: 'GDPR_ART17' } });
      const res = await oneClick(linkFor({ recipientId, listId }));
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('You are unsubscribed');
      expect(await unsubscribedEvents(recipientId)).toHaveLength(0);
    });
  });

  describe('When the link was forged or altered', () => {
    it('should refuse it (GET and POST) and change nothing', async () => {
      const { recipientId, listId } = await subscriber();
      const link = linkFor({ recipientId, listId });
      const prefix = link.slice(0, link.lastIndexOf('/') + 1);
      const [claims, mac] = link.slice(prefix.length).split('.') as [string, string];
      const flipped = `${prefix}${claims}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      const { recipientId: other } = await subscriber();
      const otherClaims = Buffer.from(
        JSON.stringify({ v: 1, t: tenantId, r: other, l: listId, exp: 4_102_444_800 }),
      ).toString('base64url');
      const swapped = `${prefix}${otherClaims}.${mac}`;
      for (const bad of [flipped, swapped, `${api.url}/unsubscribe/not-a-token`]) {
        expect((await oneClick(bad)).status).toBe(400);
        expect((await fetch(bad)).status).toBe(400);
      }
      expect((await recipient(recipientId)).memberships[0]!.status).toBe('SUBSCRIBED');
      expect(await unsubscribedEvents(other)).toHaveLength(0);
    });
  });
});
