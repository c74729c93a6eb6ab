import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { sqlBackends, spellingsOf } from '#testing';

import { webhookSignatureHeader } from '../src/webhooks/webhook-signature.js';
import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

const SECRET = `whsec-log-canary-${randomUUID()}`;
const TEMPLATE =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{name}}, {{attributes.secret}}</mj-text>' +
  '<mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button></mj-column></mj-section></mj-body></mjml>';

/**
 * Log canary (issue 5, "a canary scan of captured logs finds no personal data"): every byte the
 * process prints, with the logger in JSON mode at verbose level, is captured while canary
 * personal data goes through a realistic flow over HTTP: recipients added and imported, a
 * campaign launched and sent to the SMTP capture server (which bounces and drops some, echoing
 * the address back as real servers do), a bounce through the webhook whose diagnostic names the
 * address, an erasure, and failing requests whose bad input holds the canaries. No canary (email,
 * name, attribute value, consent IP) and no client IP may appear in any line.
 */
describe.each(sqlBackends())('Log canary (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  let output: string[];

  const id = randomUUID().slice(0, 8);
  const markers = {
    email: `log.canary.${id}@canary-${id}.example`,
    importedEmail: `imported.${id}@canary-${id}.example`,
    bouncingEmail: `bouncing.${id}@canary-${id}.example`,
    droppedEmail: `dropped.${id}@canary-${id}.example`,
    name: `Canarius Loggus ${randomUUID().slice(0, 8)}`,
    importedName: `Importina ${randomUUID().slice(0, 8)}`,
    attribute: `attr-${randomUUID()}`,
    badEmail: `bad.${id}@canary-${id}.invalid-@`,
    consentIp: `2001:db8:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`,
  };
  /** The client's address as a proxy would pass it: must never be logged either. */
  const forwardedIp = `203.0.113.${1 + (randomBytes(1)[0]! % 250)}`;

  beforeAll(async () => {
    output = [];
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      jest.spyOn(stream, 'write').mockImplementation((...args: unknown[]) => {
        output.push(String(args[0]));
        return write(...args);
      });
    }
    api = await ApiTestApp.start(
      backend,
      {
        LOG_LEVEL: 'verbose',
        MAILPACKR_LOG_FORMAT: 'json',
        MAILPACKR_WEBHOOK_SECRET: SECRET,
        MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
      },
      { logs: true },
    );
    ({ apiKey, tenantId } = await api.createTenant('Canary Logs Ltd'));
  });
  afterAll(async () => {
    await api?.stop();
    jest.restoreAllMocks();
  });

  const headers = (extra: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${apiKey}`,
    'x-forwarded-for': forwardedIp,
    'x-real-ip': forwardedIp,
    'user-agent': `CanaryBrowser/${id}`,
    ...extra,
  });
  const gql = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResponse<T>> => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await gql<T>(query, variables);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  describe('When personal data goes through every path and bad requests carry it', () => {
    it('should print none of it, nor the client IP, in any log line', async () => {
      const listId = (
        await ok<{ createContactList: { id: string } }>(
          `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`,
          { name: 'Canary list' },
        )
      ).createContactList.id;
      const add = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
      const ids: string[] = [];
      for (const email of [markers.email, markers.bouncingEmail, markers.droppedEmail]) {
        const added = await ok<{ addRecipient: { id: string } }>(add, {
          input: {
            email,
            name: markers.name,
            attributes: { secret: markers.attribute },
            listIds: [listId],
          },
        });
        ids.push(added.addRecipient.id);
      }
      const imported = await ok<{ importContacts: { added: number; invalid: number } }>(
        `mutation($input: ImportContactsInput!) { importContacts(input: $input) { added invalid } }`,
        {
          input: {
            listId,
            csv: `email,name,secret\n"${markers.importedEmail}","${markers.importedName}",${markers.attribute}\n"${markers.badEmail}","${markers.name}",x\n`,
          },
        },
      );
      expect(imported.importContacts).toEqual({ added: 1, invalid: 1 });
      const pending = await ok<{ requestOptIn: { token: string } }>(
        `mutation($input: RequestOptInInput!) { requestOptIn(input: $input) { token } }`,
        {
          input: {
            id: ids[0],
            listId: (
              await ok<{ createContactList: { id: string } }>(
                `mutation { createContactList(input: { name: "Opt-in list" }) { id } }`,
              )
            ).createContactList.id,
            consent: { ipAddress: markers.consentIp },
          },
        },
      );
      expect(pending.requestOptIn.token).toBeTruthy();

      // Sending: one address bounces with a reply that echoes it, one connection drops after DATA.
      await api.runtime.delivery.open();
      const capture = api.runtime.delivery.capture!;
      capture.setScript(markers.bouncingEmail, {
        rcpt: { code: 550, enhanced: '5.1.1', text: `<${markers.bouncingEmail}>: no such user` },
      });
      capture.setScript(markers.droppedEmail, { data: { drop: true } });
      const templateId = (
        await ok<{ createTemplate: { id: string } }>(
          `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`,
          { input: { name: 'Canary template', mjml: TEMPLATE } },
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
              templateId,
              listIds: [listId],
            },
          },
        )
      ).draftCampaign.id;
      await ok(`mutation LaunchIt($id: ID!) { launchCampaign(input: { id: $id }) { status } }`, {
        id: campaignId,
      });
      await api.runtime.projections.catchUp();
      const run = await api.runtime.delivery.runOnce({ now: new Date() });
      expect(run).toMatchObject({ sent: 2, bounced: 1, deferred: 1 });

      // A bounce through the webhook, its diagnostic naming the address.
      await api.caughtUp(['messages', 'recipients']);
      const messages = (
        await ok<{
          campaignMessages: { edges: Array<{ node: { id: string; status: string } }> };
        }>(
          `query($id: ID!) { campaignMessages(campaignId: $id, first: 10) { edges { node { id status } } } }`,
          { id: campaignId },
        )
      ).campaignMessages.edges.map((e) => e.node);
      const sent = messages.find((m) => m.status === 'SENT')!;
      const body = JSON.stringify({
        events: [
          {
            id: `evt_${id}`,
            type: 'bounce',
            messageId: sent.id,
            occurredAt: new Date().toISOString(),
            bounce: {
              kind: 'hard',
              status: '5.1.1',
              diagnostic: `smtp; 550 5.1.1 <${markers.email}>... ${markers.name} unknown`,
            },
          },
        ],
      });
      const webhook = await fetch(`${api.url}/webhooks/delivery-events`, {
        method: 'POST',
        headers: {
          ...headers(),
          'mailpackr-signature': webhookSignatureHeader(SECRET, body, new Date()),
        },
        body,
      });
      expect(webhook.status).toBe(200);

      // Failing requests whose bad input holds canaries.
      const failures: Array<Promise<GraphQLResponse>> = [
        gql(add, { input: { email: markers.badEmail, name: markers.name } }),
        gql(add, { input: { email: markers.email, name: markers.name } }), // already there
        gql(`mutation { addRecipient(input: { email: "${markers.email}", bogus: 1 }) { id } }`),
        gql(`{ recipients(email: "${markers.badEmail}") { edges { node { id } } } }`),
        gql(`mutation($input: CorrectRecipientInput!) { correctRecipient(input: $input) { id } }`, {
          input: { id: randomUUID(), name: markers.name },
        }),
        gql(`{ recipientz(email: "${markers.email}") { id } }`),
        gql(`{ syntax error "${markers.email}" ${markers.name}`),
      ];
      for (const failed of await Promise.all(failures)) expect(failed.errors).toBeDefined();
      const unauthenticated = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: headers({ authorization: `Bearer mpk_${markers.attribute}` }),
        body: JSON.stringify({
          query: add,
          variables: { input: { email: markers.email, name: markers.name } },
        }),
      });
      expect(unauthenticated.status).toBeLessThan(500);
      const notJson = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: headers(),
        body: `{"query": "${markers.email}", ${markers.name}`,
      });
      expect(notJson.status).toBe(400);
      const unsubscribe = await fetch(
        `${api.url}/unsubscribe/${encodeURIComponent(markers.email)}`,
        { headers: headers() },
      );
      expect(unsubscribe.status).toBeGreaterThanOrEqual(400);
      const badWebhook = await fetch(`${api.url}/webhooks/delivery-events`, {
        method: 'POST',
        headers: headers({ 'mailpackr-signature': 'v1=nope' }),
        body: JSON.stringify({ events: [{ email: markers.email }] }),
      });
      expect(badWebhook.status).toBe(401);

      // Erasure.
      const erased = await gql(
        `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`,
        { input: { email: markers.email, basis: 'GDPR_ART17', reference: 'LOG-CANARY' } },
      );
      expect(erased.errors).toBeUndefined();

      // The capture works, and the request log is structured JSON with ids, never data.
      await new Promise((resolve) => setTimeout(resolve, 100)); // the last lines are written on 'finish'
      const lines = output
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '');
      const requests = lines
        .filter((l) => l.includes('"context":"Http"'))
        .map(
          (l) =>
            JSON.parse(l) as {
              level: string;
              message: {
                event: string;
                requestId: string;
                route: string;
                status: number;
                tenantId?: string;
                graphql?: { type?: string; name?: string; fields: string[]; errors?: string[] };
              };
            },
        );
      expect(requests.length).toBeGreaterThan(15);
      expect(requests.every((r) => /^[0-9a-f-]{36}$/.test(r.message.requestId))).toBe(true);
      expect(requests.map((r) => r.message)).toContainEqual(
        expect.objectContaining({
          route: '/graphql',
          status: 200,
          tenantId,
          graphql: { type: 'mutation', name: 'LaunchIt', fields: ['launchCampaign'] },
        }),
      );
      expect(requests.map((r) => r.message)).toContainEqual(
        expect.objectContaining({ route: '/unsubscribe/:token' }),
      );
      expect(requests.some((r) => r.message.graphql?.errors?.includes('BAD_USER_INPUT'))).toBe(
        true,
      );

      const leaks: Record<string, string[]> = {};
      const needles: Record<string, string[]> = {
        ...Object.fromEntries(Object.entries(markers).map(([k, v]) => [k, spellingsOf(v)])),
        localPart: [`log.canary.${id}`, `bouncing.${id}`, `dropped.${id}`, `imported.${id}`],
        domain: [`canary-${id}.example`],
        forwardedIp: [forwardedIp],
        loopbackClientIp: ['::ffff:127.0.0.1'],
        userAgent: [`canarybrowser/${id}`],
      };
      for (const line of lines) {
        const lower = line.toLowerCase();
        for (const [what, spellings] of Object.entries(needles)) {
          if (spellings.some((s) => lower.includes(s.toLowerCase()))) {
            (leaks[what] ??= []).push(line.slice(0, 300));
          }
        }
      }
      expect(leaks).toEqual({});
    });
  });
});
