import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toMessageStreamId } from '#domain';
import {
  MailpackrRuntime,
  type RecipientScript,
  type RuntimeLogger,
  type SmtpCaptureServer,
  loadConfig,
} from '#platform';
import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`;
const MESSAGES = `query($id: ID!) {
  campaignMessages(campaignId: $id, first: 100) {
    edges { node { id recipientId status attempts lastReply nextAttemptAt } }
  } }`;

const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{firstName}}</mj-text></mj-column></mj-section></mj-body></mjml>';

/** The sending worker's SMTP timeout (connect, greeting, each reply), short for the test. */
const SMTP_TIMEOUT_MS = 1500;

interface MessageNode {
  id: string;
  recipientId: string;
  status: string;
  attempts: number;
  lastReply: string | null;
  nextAttemptAt: string | null;
}

interface Person {
  id: string;
  email: string;
}

/**
 * Fault injection at the sink (issue 4): the receiving server stores a message and then never
 * answers DATA, by cutting the connection or by staying silent past the client's timeout. The
 * sender cannot know the message arrived: it defers it, logs the possible duplicate, and sends it
 * again at the next attempt. That copy is the one duplicate allowed; nobody else gets two.
 */
describe.each(sqlBackends())('Delivery faults at the SMTP sink (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  /** The sending process: a worker on the API's database, with its own capture server and logs. */
  let worker: MailpackrRuntime;
  let sink: SmtpCaptureServer;
  const warnings: string[] = [];

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' });
    ({ apiKey } = await api.createTenant('Faulty Sinks Ltd'));
    const { DATABASE_URL, MAILPACKR_KEK, MAILPACKR_DATA_DIR } = api.runtime.config;
    const logger: RuntimeLogger = {
      log: () => undefined,
      warn: (message) => warnings.push(message),
      error: (message) => warnings.push(message),
    };
    worker = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL,
          MAILPACKR_KEK,
          MAILPACKR_DATA_DIR,
          MAILPACKR_MODE: 'worker',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          MAILPACKR_SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
          NODE_ENV: 'test',
        },
      ),
      logger,
    );
    await worker.delivery.open();
    sink = worker.delivery.capture!;
  });
  afterAll(async () => {
    await worker?.close();
    await api?.stop();
  });

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const audience = async (size: number): Promise<{ listId: string; people: Person[] }> => {
    const { id: listId } = (
      await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: `List ${unique()}` })
    ).createContactList;
    const people: Person[] = [];
    for (let i = 0; i < size; i++) {
      const email = `faulty${i}.${unique()}@example.org`;
      const { id } = (
        await ok<{ addRecipient: { id: string } }>(ADD, {
          input: { email, name: `Faulty ${i}`, listIds: [listId] },
        })
      ).addRecipient;
      people.push({ id, email });
    }
    return { listId, people };
  };
  const launchedCampaign = async (listId: string): Promise<string> => {
    const { id } = (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: `Faults ${unique()}`,
          subject: 'News',
          fromAddress: 'news@acme.example',
          mjmlBody: MJML,
          listIds: [listId],
        },
      })
    ).draftCampaign;
    const { status } = (await ok<{ launchCampaign: { status: string } }>(LAUNCH, { id }))
      .launchCampaign;
    expect(status).toBe('SENDING');
    await api.caughtUp(['campaigns', 'messages', 'recipients', 'tenants', 'suppressions']);
    return id;
  };
  const messagesOf = async (campaignId: string): Promise<Map<string, MessageNode>> => {
    await api.caughtUp(['campaigns', 'messages']);
    const data = await ok<{ campaignMessages: { edges: Array<{ node: MessageNode }> } }>(MESSAGES, {
      id: campaignId,
    });
    return new Map(data.campaignMessages.edges.map(({ node }) => [node.recipientId, node]));
  };
  /** Copies the sink stored since `from`, by recipient address, with their Message-IDs. */
  const copiesSince = (from: number): Map<string, string[]> => {
    const copies = new Map<string, string[]>();
    for (const { rcptTo, messageId } of sink.messages.slice(from)) {
      for (const to of rcptTo) copies.set(to, [...(copies.get(to) ?? []), messageId ?? '']);
    }
    return copies;
  };
  const countsOf = (copies: Map<string, string[]>, people: Person[]) =>
    Object.fromEntries(people.map((p) => [p.email, copies.get(p.email)?.length ?? 0]));

  /**
   * Given a campaign to four people and a sink scripted to fail DATA once for one of them;
   * when the worker sends, and again once that message is due; then that person has exactly two
   * copies (the logged window), everyone else one, and the message ends sent.
   */
  const sendsThroughAFaultAfterData = async (script: RecipientScript['data']) => {
    const { listId, people } = await audience(4);
    const victim = people[1]!;
    sink.setScript(victim.email, { data: script });
    const campaignId = await launchedCampaign(listId);
    const messageId = (await messagesOf(campaignId)).get(victim.id)!.id;
    const from = sink.messages.length;
    const warned = warnings.length;

    // The first run: the sink stored the victim's copy, but the worker never heard back.
    const now = new Date();
    const first = await worker.delivery.runOnce({ now, catchUp: false });
    expect(first).toMatchObject({ due: 4, sent: 3, deferred: 1, bounced: 0, failed: 0, errors: 0 });
    let messages = await messagesOf(campaignId);
    const deferred = messages.get(victim.id)!;
    expect(deferred).toMatchObject({ status: 'DEFERRED', attempts: 1 });
    expect(deferred.lastReply).toMatch(/^no reply: /);
    expect(deferred.lastReply).not.toContain(victim.email);
    expect(Date.parse(deferred.nextAttemptAt!)).toBeGreaterThan(now.getTime());
    expect(countsOf(copiesSince(from), people)).toEqual(
      Object.fromEntries(people.map((p) => [p.email, 1])),
    );
    // The possible duplicate is logged by message id, and no address is logged.
    const logged = warnings.slice(warned);
    expect(logged).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Message ${messageId}: no reply from the SMTP server .*a retry can duplicate it`,
        ),
      ),
    ]);
    for (const line of logged) for (const p of people) expect(line).not.toContain(p.email);

    // Not due yet: nothing is sent again.
    expect(await worker.delivery.runOnce({ now, catchUp: false })).toMatchObject({ due: 0 });

    // The next attempt sends it again; the sink now answers.
    const later = new Date(Date.parse(deferred.nextAttemptAt!) + 1000);
    await api.caughtUp(['messages']);
    const second = await worker.delivery.runOnce({ now: later, catchUp: false });
    expect(second).toMatchObject({ due: 1, sent: 1, deferred: 0, errors: 0 });
    messages = await messagesOf(campaignId);
    for (const p of people) {
      expect(messages.get(p.id)).toMatchObject({
        status: 'SENT',
        attempts: p === victim ? 2 : 1,
      });
    }
    const copies = copiesSince(from);
    expect(countsOf(copies, people)).toEqual(
      Object.fromEntries(people.map((p) => [p.email, p === victim ? 2 : 1])),
    );
    // Both copies carry the same Message-ID, so a receiver may drop the second.
    expect(copies.get(victim.email)).toEqual([
      `<${messageId}@bounces.mailpackr.localhost>`,
      `<${messageId}@bounces.mailpackr.localhost>`,
    ]);
    // A deferral, not a lapsed claim: the retry's claim names no expired one.
    const events = await api.runtime.store.readStream(toMessageStreamId(messageId));
    expect(events.map((e) => e.type)).toEqual([
      'MessageQueued',
      'MessageClaimed',
      'MessageDeferred',
      'MessageClaimed',
      'MessageSent',
    ]);
    expect(events[3]!.data).toMatchObject({ attempt: 2 });
    expect((events[3]!.data as { expiredClaim?: unknown }).expiredClaim ?? null).toBeNull();
    expect(warnings.slice(warned)).toHaveLength(1);

    // Nothing is left to send, however late.
    expect(
      await worker.delivery.runOnce({
        now: new Date(later.getTime() + 48 * 3600_000),
        catchUp: false,
      }),
    ).toMatchObject({ due: 0, sent: 0 });
    expect(sink.messages.length - from).toBe(5);
    return { deferred };
  };

  /**
   * Rounds read each campaign's queued messages on from where the last round stopped (the index
   * entries of the messages sent before are dead until a vacuum). A message still queued behind
   * that point (its domain was backing off, a quota release queued it later) must still be found:
   * a short page is read again from the start.
   */
  describe('When a campaign takes several rounds and a queued message lies behind the last one', () => {
    it('should find it in the next round, send everyone once, and say nothing is due only then', async () => {
      const { listId, people } = await audience(6);
      const campaignId = await launchedCampaign(listId);
      const messages = await messagesOf(campaignId);
      const byId = [...messages.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const hidden = byId[0]!;
      const from = sink.messages.length;
      // Round 1 does not see the first message (in the read model only: as if it were deferred).
      await api.runtime.pool.query(
        `UPDATE messages SET status = 'deferred', next_attempt_at = now() + interval '1 day'
          WHERE message_id = $1`,
        [hidden.id],
      );
      const first = await worker.delivery.runOnce({ limit: 3, catchUp: false });
      expect(first).toMatchObject({ due: 3, sent: 3, errors: 0 });
      await api.runtime.pool.query(
        `UPDATE messages SET status = 'queued', next_attempt_at = NULL WHERE message_id = $1`,
        [hidden.id],
      );
      await api.caughtUp(['messages']);
      // Round 2: the two after round 1's last, and the one behind it.
      const second = await worker.delivery.runOnce({ limit: 3, catchUp: false });
      expect(second).toMatchObject({ due: 3, sent: 3, errors: 0 });
      await api.caughtUp(['messages']);
      expect(await worker.delivery.runOnce({ limit: 3, catchUp: false })).toMatchObject({
        due: 0,
      });
      expect(countsOf(copiesSince(from), people)).toEqual(
        Object.fromEntries(people.map((p) => [p.email, 1])),
      );
      for (const message of (await messagesOf(campaignId)).values()) {
        expect(message).toMatchObject({ status: 'SENT', attempts: 1 });
      }
    });
  });

  describe('When the server stores the message and drops the connection before replying to DATA', () => {
    it('should defer it, log the possible duplicate, and send it once more at the next attempt', async () => {
      const { deferred } = await sendsThroughAFaultAfterData({ drop: true, times: 1 });
      expect(deferred.lastReply).not.toMatch(/timeout/i);
    });
  });

  describe("When the server stores the message and answers DATA after the client's timeout", () => {
    it('should defer it as unanswered, log the possible duplicate, and send it once more', async () => {
      const started = Date.now();
      const { deferred } = await sendsThroughAFaultAfterData({
        delayMs: SMTP_TIMEOUT_MS * 3,
        times: 1,
      });
      expect(deferred.lastReply).toMatch(/timeout/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(SMTP_TIMEOUT_MS);
    });
  });
});
