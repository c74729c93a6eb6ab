import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { toMessageStreamId } from '#domain';
import { sqlBackends } from '#testing';

import { webhookSignatureHeader } from '../src/webhooks/webhook-signature.js';
import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`;
const MESSAGES = `query($id: ID!) {
  campaignMessages(campaignId: $id, first: 100) { edges { node { id recipientId status } } } }`;
const SUPPRESSIONS = `query($reason: SuppressionReason) {
  suppressions(first: 100, reason: $reason) { edges { node { recipientId email reason } } } }`;

const TEMPLATE =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{firstName}}</mj-text>' +
  '<mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button></mj-column></mj-section></mj-body></mjml>';

const SECRET = `whsec-e2e-${randomUUID()}`;

interface Sent {
  messageId: string;
  recipientId: string;
  email: string;
}

interface WebhookReply {
  status: number;
  body: {
    results?: Array<{ id: string; outcome: string; messageId: string }>;
    error?: { code: string; message: string; path?: string };
  };
}

describe.each(sqlBackends())('Delivery-events webhook (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  /** Messages sent by one campaign; each test takes its own. */
  const pool: Sent[] = [];
  let queuedMessageId: string;
  const campaignOf = new Map<string, string>();

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, {
      MAILPACKR_WEBHOOK_SECRET: SECRET,
      MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
    });
    ({ apiKey } = await api.createTenant('Senders Ltd'));
    const listId = await list();
    const people = [];
    for (let i = 0; i < 12; i += 1) people.push(await person(listId));
    const templateId = (
      await ok<{ createTemplate: { id: string } }>(CREATE_TEMPLATE, {
        input: { name: `News ${unique()}`, mjml: TEMPLATE },
      })
    ).createTemplate.id;
    const campaignId = await launched(listId, templateId);
    const run = await api.runtime.delivery.runOnce({ now: new Date() });
    expect(run).toMatchObject({ sent: people.length, errors: 0 });
    for (const message of await messagesOf(campaignId)) {
      expect(message.status).toBe('SENT');
      const email = people.find((p) => p.id === message.recipientId)!.email;
      pool.push({ messageId: message.id, recipientId: message.recipientId, email });
      campaignOf.set(message.id, campaignId);
    }
    // A second campaign, launched but not sent: its messages are still queued.
    const otherList = await list();
    await person(otherList);
    const queuedCampaignId = await launched(otherList, templateId);
    queuedMessageId = (await messagesOf(queuedCampaignId))[0]!.id;
    campaignOf.set(queuedMessageId, queuedCampaignId);
  });
  afterAll(async () => api?.stop());

  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const list = async () =>
    (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: `List ${unique()}` }))
      .createContactList.id;
  const person = async (listId: string) => {
    const email = `bounce.${unique()}@example.org`;
    const { id } = (
      await ok<{ addRecipient: { id: string } }>(ADD, { input: { email, listIds: [listId] } })
    ).addRecipient;
    return { id, email };
  };
  const launched = async (listId: string, templateId: string) => {
    const { id } = (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: `Campaign ${unique()}`,
          subject: 'News',
          fromAddress: 'news@acme.example',
          templateId,
          listIds: [listId],
        },
      })
    ).draftCampaign;
    expect(
      (await ok<{ launchCampaign: { status: string } }>(LAUNCH, { id })).launchCampaign,
    ).toEqual({ status: 'SENDING' });
    return id;
  };
  const messagesOf = async (campaignId: string) => {
    await api.caughtUp(['campaigns', 'messages']);
    const data = await ok<{
      campaignMessages: {
        edges: Array<{ node: { id: string; recipientId: string; status: string } }>;
      };
    }>(MESSAGES, { id: campaignId });
    return data.campaignMessages.edges.map((e) => e.node);
  };
  /** A message's status as the API shows it (`campaignMessages`). */
  const statusOf = async (messageId: string) => {
    const campaignId = campaignOf.get(messageId)!;
    return (await messagesOf(campaignId)).find((m) => m.id === messageId)!.status;
  };
  const suppressed = async (reason: string) => {
    await api.caughtUp(['suppressions']);
    const data = await ok<{
      suppressions: {
        edges: Array<{ node: { recipientId: string; email: string | null; reason: string } }>;
      };
    }>(SUPPRESSIONS, { reason });
    return data.suppressions.edges.map((e) => e.node);
  };
  /** Feedback events on a message's stream (`MessageBounced`, `MessageComplained`). */
  const feedbackOn = async (messageId: string) =>
    (await api.runtime.store.readStream(toMessageStreamId(messageId))).filter(
      (e) => e.type === 'MessageBounced' || e.type === 'MessageComplained',
    );
  const take = (): Sent => {
    const sent = pool.shift();
    if (!sent) throw new Error('the test campaign has no message left');
    return sent;
  };

  const bounceEvent = (messageId: string, overrides: Record<string, unknown> = {}) => ({
    id: `evt_${unique()}`,
    type: 'bounce',
    messageId,
    occurredAt: new Date().toISOString(),
    bounce: { kind: 'hard', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown' },
    ...overrides,
  });
  const complaintEvent = (messageId: string, overrides: Record<string, unknown> = {}) => ({
    id: `evt_${unique()}`,
    type: 'complaint',
    messageId,
    complaint: { feedbackType: 'abuse' },
    ...overrides,
  });
  /** What a provider sends: the JSON bytes and their signature. */
  const post = async (
    body: string,
    options: {
      signature?: string | null;
      contentType?: string;
      target?: ApiTestApp;
    } = {},
  ): Promise<WebhookReply> => {
    const signature =
      options.signature === undefined
        ? webhookSignatureHeader(SECRET, body, new Date())
        : options.signature;
    const response = await fetch(`${(options.target ?? api).url}/webhooks/delivery-events`, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/json',
        ...(signature === null ? {} : { 'mailpackr-signature': signature }),
      },
      body,
      redirect: 'manual',
    });
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    return { status: response.status, body: (await response.json()) as WebhookReply['body'] };
  };
  const events = (...list: unknown[]) => JSON.stringify({ events: list });

  describe('When a signed hard bounce arrives', () => {
    it('should record it, bounce the message and suppress the address', async () => {
      const sent = take();
      const event = bounceEvent(sent.messageId);
      const reply = await post(events(event));
      expect(reply).toEqual({
        status: 200,
        body: { results: [{ id: event.id, outcome: 'recorded', messageId: sent.messageId }] },
      });
      expect(await statusOf(sent.messageId)).toBe('BOUNCED');
      expect(await suppressed('HARD_BOUNCE')).toContainEqual({
        recipientId: sent.recipientId,
        email: sent.email,
        reason: 'HARD_BOUNCE',
      });
      const recorded = await feedbackOn(sent.messageId);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]!.data).toMatchObject({ kind: 'hard', status: '5.1.1', source: 'webhook' });
    });

    it('should answer the same call again (a provider retry) with duplicate, recording nothing', async () => {
      const sent = take();
      const body = events(bounceEvent(sent.messageId));
      const signature = webhookSignatureHeader(SECRET, body, new Date());
      expect((await post(body, { signature })).body.results![0]!.outcome).toBe('recorded');
      const again = await post(body, { signature });
      expect(again.status).toBe(200);
      expect(again.body.results![0]).toMatchObject({
        outcome: 'duplicate',
        messageId: sent.messageId,
      });
      expect(await feedbackOn(sent.messageId)).toHaveLength(1);
    });
  });

  describe('When several events arrive in one call', () => {
    it('should answer one result per event, in order, classifying bounces without a kind', async () => {
      const [soft, hard, complained] = [take(), take(), take()];
      const batch = [
        bounceEvent(soft.messageId, { bounce: { status: '4.2.2' }, occurredAt: undefined }),
        bounceEvent(hard.messageId.toUpperCase(), {
          bounce: { diagnostic: '550 No such user here' },
        }),
        complaintEvent(complained.messageId, { complaint: undefined }),
        bounceEvent(randomUUID()),
      ];
      const reply = await post(events(...batch));
      expect(reply.status).toBe(200);
      expect(reply.body.results!.map((r) => [r.id, r.outcome])).toEqual([
        [batch[0]!.id, 'recorded'],
        [batch[1]!.id, 'recorded'],
        [batch[2]!.id, 'recorded'],
        [batch[3]!.id, 'unknown_message'],
      ]);
      expect(reply.body.results![1]!.messageId).toBe(hard.messageId);
      expect((await feedbackOn(soft.messageId))[0]!.data).toMatchObject({ kind: 'soft' });
      expect((await feedbackOn(hard.messageId))[0]!.data).toMatchObject({ kind: 'hard' });
      expect((await feedbackOn(complained.messageId))[0]!.data).toMatchObject({
        feedbackType: 'abuse',
        source: 'webhook',
      });
      // One soft bounce keeps the address.
      expect((await suppressed('SOFT_BOUNCES')).map((s) => s.recipientId)).not.toContain(
        soft.recipientId,
      );
    });
  });

  describe('When a signed complaint arrives', () => {
    it('should record it and suppress the address', async () => {
      const sent = take();
      const event = complaintEvent(sent.messageId, { complaint: { feedbackType: 'Fraud' } });
      const reply = await post(events(event));
      expect(reply.body.results).toEqual([
        { id: event.id, outcome: 'recorded', messageId: sent.messageId },
      ]);
      const recorded = await feedbackOn(sent.messageId);
      expect(
        recorded.map((e) => [e.type, (e.data as { feedbackType?: string }).feedbackType]),
      ).toEqual([['MessageComplained', 'fraud']]);
      expect((await suppressed('COMPLAINT')).map((s) => s.recipientId)).toContain(sent.recipientId);
      expect(await statusOf(sent.messageId)).toBe('SENT');
    });
  });

  describe('When an event names a message we do not know or did not send', () => {
    it('should answer unknown_message and not_sent, recording nothing', async () => {
      const unknown = bounceEvent(randomUUID());
      const queued = bounceEvent(queuedMessageId);
      const reply = await post(events(unknown, queued));
      expect(reply.status).toBe(200);
      expect(reply.body.results).toEqual([
        { id: unknown.id, outcome: 'unknown_message', messageId: unknown.messageId },
        { id: queued.id, outcome: 'not_sent', messageId: queuedMessageId },
      ]);
      expect(await feedbackOn(queuedMessageId)).toHaveLength(0);
      expect(await statusOf(queuedMessageId)).toBe('QUEUED');
    });
  });

  describe('When the call is not signed right', () => {
    it('should refuse a bad, stale or missing signature with 401, recording nothing', async () => {
      const sent = take();
      const body = events(bounceEvent(sent.messageId));
      const now = new Date();
      const tamperedBody = body.replace('"hard"', '"soft"');
      const cases: Array<[string | null, string, string]> = [
        [
          webhookSignatureHeader(`whsec-wrong-${randomUUID()}`, body, now),
          body,
          'INVALID_SIGNATURE',
        ],
        [webhookSignatureHeader(SECRET, body, now), tamperedBody, 'INVALID_SIGNATURE'],
        ['t=1,v1=abc', body, 'INVALID_SIGNATURE'],
        [null, body, 'INVALID_SIGNATURE'],
        [
          webhookSignatureHeader(SECRET, body, new Date(now.getTime() - 301_000)),
          body,
          'STALE_SIGNATURE',
        ],
        [
          webhookSignatureHeader(SECRET, body, new Date(now.getTime() + 600_000)),
          body,
          'STALE_SIGNATURE',
        ],
      ];
      for (const [signature, sentBody, code] of cases) {
        const reply = await post(sentBody, { signature });
        expect(reply).toMatchObject({ status: 401, body: { error: { code } } });
        expect(reply.body.results).toBeUndefined();
      }
      expect(await feedbackOn(sent.messageId)).toHaveLength(0);
      expect(await statusOf(sent.messageId)).toBe('SENT');
    });
  });

  describe('When the payload is not of the documented shape', () => {
    it('should refuse the whole call with 400 and the path, recording none of its events', async () => {
      const sent = take();
      const valid = bounceEvent(sent.messageId);
      const cases: Array<[string, string]> = [
        [events(valid, { ...bounceEvent(sent.messageId), email: sent.email }), '$.events[1].email'],
        [JSON.stringify({ events: [valid], card: '4111 1111 1111 1111' }), '$.card'],
        [events(valid, bounceEvent('not-a-uuid')), '$.events[1].messageId'],
        [events(...Array.from({ length: 501 }, () => bounceEvent(sent.messageId))), '$.events'],
        [events(valid, bounceEvent(sent.messageId, { type: 'delivered' })), '$.events[1].type'],
        [
          events(valid, bounceEvent(sent.messageId, { bounce: { status: '550' } })),
          '$.events[1].bounce.status',
        ],
      ];
      for (const [body, path] of cases) {
        const reply = await post(body);
        expect(reply).toMatchObject({
          status: 400,
          body: { error: { code: 'INVALID_PAYLOAD', path } },
        });
        expect(reply.body.error!.message).not.toContain(sent.email);
      }
      expect(await feedbackOn(sent.messageId)).toHaveLength(0);
    });

    it('should refuse another content type with 415 and a body over 1 MiB with 413', async () => {
      const sent = take();
      const body = events(bounceEvent(sent.messageId));
      expect(await post(body, { contentType: 'text/plain' })).toMatchObject({
        status: 415,
        body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
      });
      const big = JSON.stringify({
        events: [bounceEvent(sent.messageId)],
        padding: 'x'.repeat(1024 * 1024),
      });
      expect(await post(big)).toMatchObject({
        status: 413,
        body: { error: { code: 'PAYLOAD_TOO_LARGE' } },
      });
      // Over the API's JSON parser limit (2 MB), and not JSON at all: refused by the body parser
      // before the webhook runs (its own error shape).
      const huge = JSON.stringify({ events: [], padding: 'x'.repeat(3 * 1024 * 1024) });
      const tooBig = await fetch(`${api.url}/webhooks/delivery-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: huge,
      });
      expect(tooBig.status).toBe(413);
      const notJson = await fetch(`${api.url}/webhooks/delivery-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"events": [',
      });
      expect(notJson.status).toBe(400);
      expect(await feedbackOn(sent.messageId)).toHaveLength(0);
    });
  });

  describe('When recording fails for a moment (the database is down)', () => {
    it('should answer 503 so the provider retries, and take the retry', async () => {
      const [first, second] = [take(), take()];
      const body = events(bounceEvent(first.messageId), bounceEvent(second.messageId));
      const original = api.runtime.feedback.bounce.bind(api.runtime.feedback);
      const spy = jest
        .spyOn(api.runtime.feedback, 'bounce')
        .mockImplementationOnce(original)
        .mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
      try {
        const reply = await post(body);
        expect(reply).toMatchObject({
          status: 503,
          body: { error: { code: 'TEMPORARY_FAILURE' } },
        });
      } finally {
        spy.mockRestore();
      }
      const retry = await post(body);
      expect(retry.status).toBe(200);
      expect(retry.body.results!.map((r) => r.outcome)).toEqual(['duplicate', 'recorded']);
      expect(await feedbackOn(second.messageId)).toHaveLength(1);
    });
  });

  describe('When no secret is configured', () => {
    it('should answer 404 WEBHOOK_DISABLED, whatever the signature', async () => {
      const off = await ApiTestApp.start(backend);
      try {
        const body = events(bounceEvent(randomUUID()));
        const reply = await post(body, { target: off });
        expect(reply).toMatchObject({ status: 404, body: { error: { code: 'WEBHOOK_DISABLED' } } });
        expect(reply.body.error!.message).toContain('MAILPACKR_WEBHOOK_SECRET');
        expect((await post(body, { target: off, signature: null })).status).toBe(404);
      } finally {
        await off.stop();
      }
    });
  });
});
