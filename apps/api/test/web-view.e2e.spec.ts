import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { simpleParser } from 'mailparser';

import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`;

const MJML = [
  '<mjml><mj-body><mj-section><mj-column>',
  '<mj-text>Hello {{firstName}}, your code is {{attributes.code}}</mj-text>',
  '<mj-button href="{{webViewUrl}}">View in your browser</mj-button>',
  '<mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>',
  '</mj-column></mj-section></mj-body></mjml>',
].join('\n');

describe.each(sqlBackends())('Web view of a campaign message (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' });
    ({ apiKey } = await api.createTenant('Viewers Ltd'));
    await api.runtime.delivery.open();
  });
  afterAll(async () => api.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const mailTo = async (email: string) => {
    const dir = api.runtime.delivery.outboxDir!;
    for (const file of await readdir(dir)) {
      const raw = await readFile(join(dir, file), 'utf8');
      if (raw.includes(`To: ${email}`)) return simpleParser(raw);
    }
    throw new Error(`no mail to ${email}`);
  };
  const get = (url: string) => fetch(`${api.url}${new URL(url).pathname}`, { redirect: 'manual' });

  describe('When a recipient opens the web-view link of their mail', () => {
    it('should show their message as the mail has it, until they are erased', async () => {
      // Given a campaign sent to two people
      const listId = (
        await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'Readers' })
      ).createContactList.id;
      const code = `C${Date.now().toString(36)}`;
      const email = `viewer.${code.toLowerCase()}@example.org`;
      const { id: recipientId } = (
        await ok<{ addRecipient: { id: string } }>(ADD, {
          input: { email, name: 'Vera Viewer', attributes: { code }, listIds: [listId] },
        })
      ).addRecipient;
      const other = `other.${code.toLowerCase()}@example.org`;
      await ok(ADD, { input: { email: other, name: 'Otto Other', listIds: [listId] } });
      const { id } = (
        await ok<{ draftCampaign: { id: string } }>(DRAFT, {
          input: {
            name: 'Web view',
            subject: 'Your code',
            fromAddress: 'news@acme.example',
            mjmlBody: MJML,
            listIds: [listId],
          },
        })
      ).draftCampaign;
      await ok(LAUNCH, { id });
      expect((await api.runtime.delivery.runOnce()).sent).toBe(2);

      // When the recipient follows the link in their mail
      const mail = await mailTo(email);
      const link = /href="([^"]+\/view\/[^"]+)"/.exec(mail.html as string)![1]!;
      const res = await get(link);

      // Then the page is their message: personalised, private, not cacheable
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-robots-tag')).toBe('noindex');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain('Hello Vera');
      expect(html).toContain(code);
      expect(html).not.toContain('Otto');
      // And the other person's link shows their own message, not this one
      const otherLink = /href="([^"]+\/view\/[^"]+)"/.exec(
        (await mailTo(other)).html as string,
      )![1]!;
      expect(otherLink).not.toBe(link);
      expect(await (await get(otherLink)).text()).toContain('Hello Otto');

      // When the link is altered, or made up from ids
      const token = link.slice(link.lastIndexOf('/') + 1);
      const [claims, mac] = token.split('.') as [string, string];
      const forged = `${claims}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      for (const bad of [forged, 'not-a-token', `${claims}`]) {
        // Then nothing is shown
        const refused = await fetch(`${api.url}/view/${bad}`);
        expect(refused.status).toBe(404);
        expect(await refused.text()).not.toContain(code);
      }

      // When the recipient is erased
      await ok(ERASE, { input: { id: recipientId, basis: 'GDPR_ART17' } });

      // Then their message is gone, and the page holds none of their data
      const gone = await get(link);
      expect(gone.status).toBe(410);
      const goneHtml = await gone.text();
      for (const value of [code, 'Vera', email]) expect(goneHtml).not.toContain(value);
    });
  });
});
