import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ParsedMail, simpleParser } from 'mailparser';

import { messageDecider, toMessageStreamId } from '#domain';
import {
  DEFAULT_DELIVERY_BATCH,
  MAX_DELIVERY_BATCH,
  MailpackrRuntime,
  loadConfig,
  nextBatchSize,
  parseVerpAddress,
} from '#platform';
import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`;
const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id revision } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status delivery { queued total } } }`;
const GET = `query($id: ID!) { campaign(id: $id) { status delivery { queued sending sent deferred bounced failed cancelled total } } }`;
const MESSAGES = `query($id: ID!) {
  campaignMessages(campaignId: $id, first: 100) {
    edges { node { id recipientId status attempts lastReply nextAttemptAt } }
  } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(input: { id: $id }) { status } }`;
const RESUME = `mutation($id: ID!) { resumeCampaign(input: { id: $id }) { status } }`;
const RECIPIENT = `query($id: ID!) { recipient(id: $id) { memberships { listId status } } }`;

const TEMPLATE = [
  '<mjml>',
  '  <mj-body>',
  '    <mj-section>',
  '      <mj-column>',
  '        <mj-text>Hello {{firstName}} {{lastName}}, your plan: {{attributes.plan}}</mj-text>',
  '        <mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>',
  '      </mj-column>',
  '    </mj-section>',
  '  </mj-body>',
  '</mjml>',
].join('\n');

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
  first: string;
  last: string;
  plan: string;
}

describe.each(sqlBackends())('Campaign delivery over SMTP (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;

  beforeAll(async () => {
    // Nothing runs on a timer: the test drives the scheduler and the sender itself.
    api = await ApiTestApp.start(backend, { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' });
    ({ apiKey, tenantId } = await api.createTenant('Senders Ltd'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const list = async () =>
    (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: `List ${unique()}` }))
      .createContactList.id;
  const person = async (listId: string, first: string): Promise<Person> => {
    const marker = unique();
    const p = { email: `${first.toLowerCase()}.${marker}@example.org`, first, last: `Q${marker}` };
    const plan = `plan-${marker}`;
    const { id } = (
      await ok<{ addRecipient: { id: string } }>(ADD, {
        input: {
          email: p.email,
          name: `${p.first} ${p.last}`,
          attributes: { plan },
          listIds: [listId],
        },
      })
    ).addRecipient;
    return { id, plan, ...p };
  };
  const template = async () =>
    (
      await ok<{ createTemplate: { id: string } }>(CREATE_TEMPLATE, {
        input: { name: `News ${unique()}`, mjml: TEMPLATE },
      })
    ).createTemplate.id;
  const launchedCampaign = async (listId: string, templateId: string) => {
    const { id } = (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: 'Delivery',
          subject: 'Your monthly news',
          fromAddress: 'news@acme.example',
          fromName: 'Acme "News"',
          templateId,
          listIds: [listId],
        },
      })
    ).draftCampaign;
    const launched = (
      await ok<{ launchCampaign: { status: string; delivery: { total: number } } }>(LAUNCH, {
        id,
      })
    ).launchCampaign;
    expect(launched.status).toBe('SENDING');
    return id;
  };
  const caughtUp = () => api.caughtUp(['campaigns', 'messages']);
  const messagesOf = async (campaignId: string) => {
    await caughtUp();
    const data = await ok<{ campaignMessages: { edges: Array<{ node: MessageNode }> } }>(MESSAGES, {
      id: campaignId,
    });
    return new Map(data.campaignMessages.edges.map(({ node }) => [node.recipientId, node]));
  };
  const outbox = async (): Promise<Array<{ file: string; raw: string; mail: ParsedMail }>> => {
    const dir = api.runtime.delivery.outboxDir!;
    const files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
    return Promise.all(
      files.map(async (file) => {
        const raw = await readFile(join(dir, file), 'utf8');
        return { file, raw, mail: await simpleParser(raw) };
      }),
    );
  };
  const header = (mail: ParsedMail, name: string): string => {
    const line = mail.headerLines.find((h) => h.key === name);
    expect(line).toBeDefined();
    return line!.line
      .slice(line!.line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
  };
  /** A second worker process on the same database, with its own capture server. */
  const anotherWorker = (env: Record<string, string> = {}) => {
    const { DATABASE_URL, MAILPACKR_KEK, MAILPACKR_DATA_DIR } = api.runtime.config;
    return MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL,
          MAILPACKR_KEK,
          MAILPACKR_DATA_DIR,
          MAILPACKR_MODE: 'worker',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          NODE_ENV: 'test',
          ...env,
        },
      ),
    );
  };
  const toOf = (mail: ParsedMail): string => {
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    return to!.value[0]!.address!;
  };

  describe('When a launched campaign is sent and one recipient left the list after launch', () => {
    it('should mail each eligible recipient once, personalised, with the delivery headers', async () => {
      const listId = await list();
      const people = [
        await person(listId, 'Ada'),
        await person(listId, 'Grace'),
        await person(listId, 'Alan'),
        await person(listId, 'Edsger'),
      ];
      const templateId = await template();
      const campaignId = await launchedCampaign(listId, templateId);
      const [kept, leaver] = [people.slice(0, 3), people[3]!];
      await ok(UNSUBSCRIBE, { input: { id: leaver.id, listId } });

      const run = await api.runtime.delivery.runOnce({ now: new Date() });
      expect(run).toMatchObject({ due: 4, sent: 3, cancelled: 1, deferred: 0, bounced: 0 });
      expect(run.errors).toBe(0);

      const mails = await outbox();
      expect(mails).toHaveLength(3);
      expect(mails.map((m) => toOf(m.mail)).sort()).toEqual(kept.map((p) => p.email).sort());
      const messages = await messagesOf(campaignId);
      const verpKey = api.runtime.vault.deriveKey('verp-return-path');
      for (const { mail, raw } of mails) {
        const to = toOf(mail);
        const me = people.find((p) => p.email === to)!;
        const message = messages.get(me.id)!;
        // Personalised: this recipient's merge fields, and nobody else's data.
        expect(mail.html).toContain(`Hello ${me.first} ${me.last}, your plan: ${me.plan}`);
        expect(mail.text).toContain(me.plan);
        for (const other of people.filter((p) => p !== me)) {
          for (const value of [other.email, other.last, other.plan, other.id]) {
            expect(raw).not.toContain(value);
          }
        }
        expect(mail.subject).toBe('Your monthly news');
        expect(mail.from?.value[0]).toEqual({ name: 'Acme "News"', address: 'news@acme.example' });
        // RFC 8058 one-click unsubscribe: an http(s) link and a mailto; the POST header.
        expect(header(mail, 'list-unsubscribe')).toMatch(
          /^<http:\/\/127\.0\.0\.1:4000\/unsubscribe\/[^>]+>, <mailto:unsubscribe@bounces\.mailpackr\.localhost\?subject=unsubscribe%20[a-z2-7]+>$/,
        );
        expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
        expect(header(mail, 'feedback-id')).toBe(`${campaignId}:${tenantId}:mailpackr:mailpackr`);
        expect(mail.messageId).toBe(`<${message.id}@bounces.mailpackr.localhost>`);
        // The VERP return path names this message, under an HMAC only we can make.
        const returnPath = header(mail, 'return-path');
        expect(returnPath).toMatch(/^<bounces\+[a-z2-7]+@bounces\.mailpackr\.localhost>$/);
        expect(parseVerpAddress(returnPath, verpKey, 'bounces.mailpackr.localhost')).toBe(
          message.id,
        );
        expect(returnPath).not.toContain(me.id);
        // The unsubscribe link is in the body too, and is the real one.
        const link = /<(http[^>]+)>/.exec(header(mail, 'list-unsubscribe'))![1]!;
        expect(mail.html).toContain(link);
      }

      for (const p of kept) {
        expect(messages.get(p.id)).toMatchObject({ status: 'SENT', attempts: 1 });
        expect(messages.get(p.id)!.lastReply).toMatch(/^250 /);
      }
      expect(messages.get(leaver.id)).toMatchObject({ status: 'CANCELLED', attempts: 0 });
      expect(
        (await ok<{ campaign: { delivery: Record<string, number> } }>(GET, { id: campaignId }))
          .campaign.delivery,
      ).toEqual({
        queued: 0,
        sending: 0,
        sent: 3,
        deferred: 0,
        bounced: 0,
        failed: 0,
        cancelled: 1,
        total: 4,
      });

      // The recipient clicks "unsubscribe" in their mail client: a POST, no login, no cookie.
      const clicked = mails[0]!;
      const clicker = people.find((p) => p.email === toOf(clicked.mail))!;
      const url = new URL(/<(http[^>]+)>/.exec(header(clicked.mail, 'list-unsubscribe'))![1]!);
      const res = await fetch(`${api.url}${url.pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        redirect: 'manual',
      });
      expect(res.status).toBe(200);
      expect(
        (await ok<{ recipient: { memberships: unknown[] } }>(RECIPIENT, { id: clicker.id }))
          .recipient.memberships,
      ).toEqual([{ listId, status: 'UNSUBSCRIBED' }]);

      // A second round finds nothing to send: every message was sent once, the campaign is over.
      const again = await api.runtime.delivery.runOnce({ now: new Date(Date.now() + 3600_000) });
      expect(again).toMatchObject({ sent: 0, deferred: 0, cancelled: 0, completed: 1 });
      expect(await outbox()).toHaveLength(3);
      await caughtUp();
      const finished = await ok<{
        campaign: {
          status: string;
          completedAt: string | null;
          delivery: { unsubscribed: number };
        };
      }>(`query($id: ID!) { campaign(id: $id) { status completedAt delivery { unsubscribed } } }`, {
        id: campaignId,
      });
      // The one-click unsubscribe above counts on the campaign whose link it came from.
      expect(finished.campaign).toMatchObject({
        status: 'COMPLETED',
        completedAt: expect.any(String),
        delivery: { unsubscribed: 1 },
      });

      // Erasure reaches the outbox too: the erased person's mail is gone, the others' stays.
      const erased = kept[1]!;
      await ok(
        `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`,
        {
          input: { id: erased.id, basis: 'GDPR_ART17' },
        },
      );
      const left = await outbox();
      expect(left.map((m) => toOf(m.mail)).sort()).toEqual(
        kept
          .filter((p) => p !== erased)
          .map((p) => p.email)
          .sort(),
      );
      for (const { raw } of left) {
        for (const value of [erased.email, erased.last, erased.plan])
          expect(raw).not.toContain(value);
      }
    });
  });

  describe('When the receiving server answers 450 for one recipient and 550 5.1.1 for another', () => {
    it('should defer the first with a next attempt and deliver it later, and bounce the second for good', async () => {
      await api.runtime.delivery.open();
      const capture = api.runtime.delivery.capture!;
      const listId = await list();
      const busy = await person(listId, 'Busy');
      const gone = await person(listId, 'Gone');
      capture.setScript(busy.email, {
        rcpt: { code: 450, enhanced: '4.2.0', text: 'Mailbox busy', times: 1 },
      });
      capture.setScript(gone.email, {
        rcpt: { code: 550, enhanced: '5.1.1', text: 'No such user' },
      });
      const campaignId = await launchedCampaign(listId, await template());
      const before = capture.messages.length;

      const now = new Date();
      const first = await api.runtime.delivery.runOnce({ now });
      expect(first).toMatchObject({ sent: 0, deferred: 1, bounced: 1, errors: 0 });
      let messages = await messagesOf(campaignId);
      expect(messages.get(busy.id)).toMatchObject({ status: 'DEFERRED', attempts: 1 });
      expect(messages.get(busy.id)!.lastReply).toMatch(/^450 4\.2\.0/);
      expect(Date.parse(messages.get(busy.id)!.nextAttemptAt!)).toBeGreaterThan(now.getTime());
      expect(messages.get(gone.id)).toMatchObject({ status: 'BOUNCED', attempts: 1 });
      expect(messages.get(gone.id)!.lastReply).toMatch(/^550 5\.1\.1/);
      expect(messages.get(gone.id)!.lastReply).not.toContain(gone.email);
      expect(capture.messages.length).toBe(before);

      // Not due yet: nothing happens.
      expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ sent: 0, deferred: 0 });

      // After the next attempt time the deferred one goes out; the bounced one is never retried.
      const later = new Date(now.getTime() + 2 * 3600_000);
      const second = await api.runtime.delivery.runOnce({ now: later });
      expect(second).toMatchObject({ sent: 1, deferred: 0, bounced: 0, errors: 0 });
      messages = await messagesOf(campaignId);
      expect(messages.get(busy.id)).toMatchObject({ status: 'SENT', attempts: 2 });
      expect(messages.get(gone.id)).toMatchObject({ status: 'BOUNCED', attempts: 1 });
      const received = capture.messages.slice(before);
      expect(received.map((m) => m.rcptTo)).toEqual([[busy.email]]);
      expect(
        await api.runtime.delivery.runOnce({ now: new Date(later.getTime() + 24 * 3600_000) }),
      ).toMatchObject({ sent: 0, bounced: 0 });
    });
  });
  describe('When two workers send one campaign at the same time', () => {
    it('should send each message once: a lost claim is skipped', async () => {
      // A second process on the same database (its own capture server, the same outbox folder).
      const other = await anotherWorker();
      try {
        expect(other.delivery.workerId).not.toBe(api.runtime.delivery.workerId);
        const listId = await list();
        const people: Person[] = [];
        for (let i = 0; i < 8; i++) people.push(await person(listId, `Racer${i}`));
        const campaignId = await launchedCampaign(listId, await template());
        await caughtUp();
        const before = (await outbox()).length;

        const now = new Date();
        const [a, b] = await Promise.all([
          api.runtime.delivery.runOnce({ now, catchUp: false }),
          other.delivery.runOnce({ now, catchUp: false }),
        ]);
        expect(a.sent + b.sent).toBe(8);
        expect(a.errors + b.errors).toBe(0);

        const mails = (await outbox()).slice(before);
        expect(mails.map((m) => toOf(m.mail)).sort()).toEqual(people.map((p) => p.email).sort());
        const messages = await messagesOf(campaignId);
        for (const p of people) {
          const message = messages.get(p.id)!;
          expect(message).toMatchObject({ status: 'SENT', attempts: 1 });
          const types = (await api.runtime.store.readStream(toMessageStreamId(message.id))).map(
            (e) => e.type,
          );
          expect(types).toEqual(['MessageQueued', 'MessageClaimed', 'MessageSent']);
        }
      } finally {
        await other.close();
      }
    });
  });
  describe('When a worker died holding a claim', () => {
    it('should send the message once the lease lapses, and record the lapsed claim', async () => {
      const listId = await list();
      const p = await person(listId, 'Orphan');
      const campaignId = await launchedCampaign(listId, await template());
      const messageId = (await messagesOf(campaignId)).get(p.id)!.id;
      const now = new Date();
      // A worker claims the message, then crashes before sending it.
      await api.runtime.commands.handle(
        toMessageStreamId(messageId),
        messageDecider,
        {
          type: 'ClaimMessage',
          data: { messageId, tenantId, workerId: 'crashed-worker', leaseMs: 60_000 },
          metadata: { now },
        },
        { tenantId, actor: 'test' },
      );
      const before = (await outbox()).length;

      // Within the lease nobody touches it.
      expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ due: 0, sent: 0 });
      // Once it has lapsed (the picker waits for the default lease, 2 minutes), it is sent.
      const later = new Date(now.getTime() + 3 * 60_000);
      expect(await api.runtime.delivery.runOnce({ now: later })).toMatchObject({ sent: 1 });
      const mails = (await outbox()).slice(before);
      expect(mails.map((m) => toOf(m.mail))).toEqual([p.email]);
      const events = await api.runtime.store.readStream(toMessageStreamId(messageId));
      expect(events.map((e) => e.type)).toEqual([
        'MessageQueued',
        'MessageClaimed',
        'MessageClaimed',
        'MessageSent',
      ]);
      expect(events[2]!.data).toMatchObject({
        attempt: 2,
        expiredClaim: { workerId: 'crashed-worker', attempt: 1 },
      });
    });
  });
  describe('When a campaign is paused mid-send', () => {
    it('should send nothing until it is resumed', async () => {
      const listId = await list();
      const p = await person(listId, 'Patient');
      const campaignId = await launchedCampaign(listId, await template());
      expect(
        (await ok<{ pauseCampaign: { status: string } }>(PAUSE, { id: campaignId })).pauseCampaign
          .status,
      ).toBe('PAUSED');
      expect(await api.runtime.delivery.runOnce({ now: new Date() })).toMatchObject({ due: 0 });
      expect((await messagesOf(campaignId)).get(p.id)).toMatchObject({ status: 'QUEUED' });

      await ok(RESUME, { id: campaignId });
      expect(await api.runtime.delivery.runOnce({ now: new Date() })).toMatchObject({ sent: 1 });
      expect((await messagesOf(campaignId)).get(p.id)).toMatchObject({ status: 'SENT' });
    });
  });

  describe('When more messages are due than the first run takes', () => {
    it('should take a full first run, then size the next to what it sent in about a second', async () => {
      const listId = await list();
      const csv = [
        'email,name',
        ...Array.from(
          { length: DEFAULT_DELIVERY_BATCH + 1 },
          (_, i) => `many.${i}.${unique()}@example.org,Many ${i}`,
        ),
      ].join('\n');
      const imported = await api.runtime.contactImport.run({
        context: { tenantId, actor: 'test' },
        listId,
        source: Readable.from([csv]),
      });
      expect(imported.added).toBe(DEFAULT_DELIVERY_BATCH + 1);
      const campaignId = await launchedCampaign(listId, await template());
      await caughtUp();
      // Explicit limits (tests, tools) leave the worker's own run size alone.
      expect(await api.runtime.delivery.runOnce({ limit: 1 })).toMatchObject({ due: 1, sent: 1 });
      expect(api.runtime.delivery.batchSize).toBe(DEFAULT_DELIVERY_BATCH);

      const started = performance.now();
      const first = await api.runtime.delivery.runOnce();
      const elapsed = performance.now() - started;
      expect(first).toMatchObject({ due: DEFAULT_DELIVERY_BATCH, sent: DEFAULT_DELIVERY_BATCH });
      // The worker timed the run from inside, so at most `elapsed`: its pace was at least this.
      const size = api.runtime.delivery.batchSize;
      expect(size).toBeGreaterThanOrEqual(nextBatchSize(DEFAULT_DELIVERY_BATCH, elapsed));
      expect(size).toBeLessThanOrEqual(MAX_DELIVERY_BATCH);

      // A run that is not full (the campaign's last message) keeps the size.
      expect(await api.runtime.delivery.runOnce()).toMatchObject({ due: 0 });
      expect(api.runtime.delivery.batchSize).toBe(size);
      await caughtUp();
      const { rows } = await api.runtime.pool.query<{ sent: number }>(
        'SELECT sent FROM campaign_delivery WHERE campaign_id = $1',
        [campaignId],
      );
      expect(rows).toEqual([{ sent: DEFAULT_DELIVERY_BATCH + 1 }]);
    });
  });

  describe('When the capture server port is taken', () => {
    it('should refuse to open, naming the port and the setting', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as { port: number };
      const other = await anotherWorker({ MAILPACKR_SMTP_CAPTURE_PORT: String(port) });
      try {
        await expect(other.delivery.open()).rejects.toMatchObject({
          code: 'SMTP_CAPTURE_UNAVAILABLE',
          message: expect.stringMatching(
            new RegExp(`127\\.0\\.0\\.1:${port}.*MAILPACKR_SMTP_CAPTURE_PORT`),
          ),
        });
      } finally {
        await other.close();
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });
});
