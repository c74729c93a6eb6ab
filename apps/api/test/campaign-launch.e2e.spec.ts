import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { messageDecider, toMessageStreamId } from '#domain';
import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`;
const RESTRICT = `mutation($input: DataSubjectRequestInput!) { restrictRecipient(input: $input) { id } }`;
const OBJECT = `mutation($input: DataSubjectRequestInput!) { objectToProcessing(input: $input) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`;
const SUPPRESS = `mutation($input: SuppressEmailInput!) { suppressEmail(input: $input) { reason } }`;
const CAMPAIGN_FIELDS = `id status revision startedAt pausedAt
  audience { listIds recipients queuedMessages excluded { suppressed unsubscribed restricted objected erased pending } }
  delivery { queued sending sent deferred bounced failed cancelled total }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const SCHEDULE = `mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { status } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { ${CAMPAIGN_FIELDS} } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(input: { id: $id }) { status pausedAt } }`;
const RESUME = `mutation($id: ID!) { resumeCampaign(input: { id: $id }) { status pausedAt } }`;
const CANCEL = `mutation($id: ID!) { cancelCampaign(input: { id: $id, reason: "Wrong offer" }) { ${CAMPAIGN_FIELDS} } }`;
const GET = `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const MESSAGES = `query($id: ID!, $first: Int, $after: String, $status: MessageStatus) {
  campaignMessages(campaignId: $id, first: $first, after: $after, status: $status) {
    edges { cursor node { id campaignId recipientId listId status attempts } }
    pageInfo { hasNextPage endCursor }
  } }`;

const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>';

interface CampaignView {
  id: string;
  status: string;
  pausedAt: string | null;
  audience: {
    listIds: string[];
    recipients: number;
    queuedMessages: number | null;
    excluded: Record<string, number>;
  } | null;
  delivery: Record<string, number>;
}

interface MessagesView {
  campaignMessages: {
    edges: Array<{
      cursor: string;
      node: { id: string; recipientId: string; listId: string; status: string };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe.each(sqlBackends())('Campaign launch (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;

  beforeAll(async () => {
    // The scheduler runs only when a test says so (`runtime.scheduler.runOnce`).
    api = await ApiTestApp.start(backend, { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' });
    ({ apiKey, tenantId } = await api.createTenant('Launchers Ltd'));
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
  const recipient = async (listIds: string[]) => {
    const email = `launch.${unique()}@example.org`;
    const { id } = (await ok<{ addRecipient: { id: string } }>(ADD, { input: { email, listIds } }))
      .addRecipient;
    return { id, email };
  };
  const draft = async (listIds: string[]) =>
    (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: 'Launch',
          subject: 'Hello',
          fromAddress: 'news@example.com',
          mjmlBody: MJML,
          listIds,
        },
      })
    ).draftCampaign.id;
  const campaign = async (id: string) =>
    (await ok<{ campaign: CampaignView }>(GET, { id })).campaign;
  const allMessages = async (id: string, status?: string) => {
    const nodes: MessagesView['campaignMessages']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (;;) {
      const page: MessagesView['campaignMessages'] = (
        await ok<MessagesView>(MESSAGES, { id, first: 2, after, status })
      ).campaignMessages;
      nodes.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  };
  const caughtUp = () => api.caughtUp(['campaigns', 'messages']);
  const context = () => ({ tenantId, actor: 'test' });

  describe('When a campaign is launched to lists with every kind of recipient', () => {
    it('should queue exactly the sendable ones, once, and pause, resume and cancel mid-send', async () => {
      const [a, b] = [await list(), await list()];
      const onA = await recipient([a]);
      const onBoth = await recipient([a, b]);
      const onB = await recipient([b]);
      const leftA = await recipient([a]);
      await ok(UNSUBSCRIBE, { input: { id: leftA.id, listId: a } });
      const leftAll = await recipient([a]);
      await ok(UNSUBSCRIBE, { input: { id: leftAll.id } });
      const suppressed = await recipient([a]);
      await ok(SUPPRESS, { input: { email: suppressed.email } });
      const restricted = await recipient([a]);
      await ok(RESTRICT, { input: { id: restricted.id } });
      const objecting = await recipient([b]);
      await ok(OBJECT, { input: { id: objecting.id } });
      const erased = await recipient([a, b]);
      await ok(ERASE, { input: { id: erased.id, basis: 'GDPR_ART17' } });
      const campaignId = await draft([a, b]);

      const launched = (await ok<{ launchCampaign: CampaignView }>(LAUNCH, { id: campaignId }))
        .launchCampaign;
      expect(launched).toMatchObject({
        status: 'SENDING',
        audience: {
          listIds: [a, b],
          recipients: 3,
          queuedMessages: 3,
          // Erased people have left every list: they are not found on one to be excluded.
          excluded: {
            suppressed: 1,
            unsubscribed: 2,
            restricted: 1,
            objected: 1,
            erased: 0,
            pending: 0,
          },
        },
        delivery: { queued: 3, sending: 0, sent: 0, cancelled: 0, total: 3 },
      });
      const messages = await allMessages(campaignId);
      expect(messages.map((m) => m.recipientId).sort()).toEqual([onA.id, onBoth.id, onB.id].sort());
      expect(messages.find((m) => m.recipientId === onBoth.id)!.listId).toBe(a);
      expect(messages.every((m) => m.status === 'QUEUED')).toBe(true);

      // A second launch, and a scheduler run as after a restart: nothing more is queued.
      const again = (await ok<{ launchCampaign: CampaignView }>(LAUNCH, { id: campaignId }))
        .launchCampaign;
      expect(again.delivery.total).toBe(3);
      const run = await api.runtime.scheduler.runOnce({ now: new Date() });
      expect(run.launches.filter((l) => l.campaignId === campaignId)).toEqual([]);
      for (const m of messages) {
        expect(await api.runtime.store.readStream(toMessageStreamId(m.id))).toHaveLength(1);
      }

      expect(
        (await ok<{ pauseCampaign: CampaignView }>(PAUSE, { id: campaignId })).pauseCampaign,
      ).toMatchObject({ status: 'PAUSED' });
      expect(
        (await ok<{ pauseCampaign: CampaignView }>(PAUSE, { id: campaignId })).pauseCampaign,
      ).toMatchObject({ status: 'PAUSED' });
      expect(
        (await ok<{ resumeCampaign: CampaignView }>(RESUME, { id: campaignId })).resumeCampaign,
      ).toEqual({ status: 'SENDING', pausedAt: null });

      // Mid-send: one message goes out, one is in its SMTP transaction, one still waits.
      const [first, second] = messages;
      const handle = (messageId: string, command: Parameters<typeof messageDecider.decide>[0]) =>
        api.runtime.commands.handle(
          toMessageStreamId(messageId),
          messageDecider,
          command,
          context(),
        );
      const now = new Date();
      await handle(first!.id, {
        type: 'ClaimMessage',
        data: { messageId: first!.id, tenantId, workerId: 'w1', leaseMs: 60_000 },
        metadata: { now },
      });
      await handle(first!.id, {
        type: 'RecordMessageSent',
        data: { messageId: first!.id, tenantId, workerId: 'w1', smtpReply: '250 OK' },
        metadata: { now },
      });
      await handle(second!.id, {
        type: 'ClaimMessage',
        data: { messageId: second!.id, tenantId, workerId: 'w1', leaseMs: 60_000 },
        metadata: { now },
      });
      await caughtUp();

      const cancelled = (await ok<{ cancelCampaign: CampaignView }>(CANCEL, { id: campaignId }))
        .cancelCampaign;
      expect(cancelled).toMatchObject({
        status: 'CANCELLED',
        delivery: { queued: 0, sending: 1, sent: 1, cancelled: 1, total: 3 },
      });
      expect((await allMessages(campaignId, 'CANCELLED')).map((m) => m.id)).toEqual([
        messages[2]!.id,
      ]);
      // Cancelling again changes nothing.
      expect(
        (await ok<{ cancelCampaign: CampaignView }>(CANCEL, { id: campaignId })).cancelCampaign
          .delivery,
      ).toMatchObject({ cancelled: 1, sent: 1, sending: 1 });
    });
  });

  describe('When a scheduled campaign comes due', () => {
    it('should be launched by one scheduler run, and not again', async () => {
      const a = await list();
      const people = [await recipient([a]), await recipient([a])];
      const campaignId = await draft([a]);
      const sendAt = new Date(Date.now() + 3600_000);
      await ok(SCHEDULE, { input: { id: campaignId, sendAt: sendAt.toISOString() } });

      const early = await api.runtime.scheduler.runOnce({
        now: new Date(sendAt.getTime() - 60_000),
      });
      expect(early.launches.map((l) => l.campaignId)).not.toContain(campaignId);
      expect((await campaign(campaignId)).status).toBe('SCHEDULED');

      const due = await api.runtime.scheduler.runOnce({ now: new Date(sendAt.getTime() + 1000) });
      expect(due.launches.find((l) => l.campaignId === campaignId)).toMatchObject({
        status: 'Sending',
        recipients: 2,
        appended: 2,
      });
      await caughtUp();
      expect(await campaign(campaignId)).toMatchObject({
        status: 'SENDING',
        audience: { recipients: 2, queuedMessages: 2 },
        delivery: { queued: 2, total: 2 },
      });
      expect((await allMessages(campaignId)).map((m) => m.recipientId).sort()).toEqual(
        people.map((p) => p.id).sort(),
      );

      const later = await api.runtime.scheduler.runOnce({
        now: new Date(sendAt.getTime() + 60_000),
      });
      expect(later.launches.map((l) => l.campaignId)).not.toContain(campaignId);
      await caughtUp();
      expect((await campaign(campaignId)).delivery.total).toBe(2);
    });
  });

  describe('When a launch is interrupted (a worker crash) and the scheduler picks it up', () => {
    it('should queue the rest, never a message twice', async () => {
      const a = await list();
      const people = [await recipient([a]), await recipient([a]), await recipient([a])];
      const campaignId = await draft([a]);
      await expect(
        api.runtime.campaigns.launch(context(), {
          campaignId,
          now: new Date(),
          batchSize: 1,
          afterBatch: (batch) => {
            if (batch === 1) throw new Error('worker killed');
          },
        }),
      ).rejects.toThrow('worker killed');
      await caughtUp();
      expect(await campaign(campaignId)).toMatchObject({
        status: 'SENDING',
        audience: { recipients: 3, queuedMessages: null },
        delivery: { queued: 1 },
      });

      const run = await api.runtime.scheduler.runOnce({ now: new Date() });
      expect(run.launches.find((l) => l.campaignId === campaignId)).toMatchObject({
        recipients: 3,
        appended: 2,
      });
      await caughtUp();
      expect(await campaign(campaignId)).toMatchObject({
        audience: { queuedMessages: 3 },
        delivery: { queued: 3, total: 3 },
      });
      expect((await allMessages(campaignId)).map((m) => m.recipientId).sort()).toEqual(
        people.map((p) => p.id).sort(),
      );
    });
  });

  describe('When two launches of one campaign race (API and scheduler)', () => {
    it('should queue each message once', async () => {
      const a = await list();
      const people = [await recipient([a]), await recipient([a]), await recipient([a])];
      const campaignId = await draft([a]);
      const reports = await Promise.all([
        api.runtime.campaigns.launch(context(), { campaignId, now: new Date(), batchSize: 1 }),
        api.runtime.campaigns.launch(context(), { campaignId, now: new Date(), batchSize: 2 }),
      ]);
      expect(reports.map((r) => r.recipients)).toEqual([3, 3]);
      // Each run counts the messages it found newly queued; a message the other run queued while
      // this one was appending may be counted by both. What matters is below: one stream each.
      for (const report of reports) expect(report.appended).toBeLessThanOrEqual(3);
      expect(reports[0].appended + reports[1].appended).toBeGreaterThanOrEqual(3);
      await caughtUp();
      expect(await campaign(campaignId)).toMatchObject({
        audience: { recipients: 3, queuedMessages: 3 },
        delivery: { queued: 3, total: 3 },
      });
      for (const p of people) {
        const messageId = api.runtime.campaigns.messageId(campaignId, p.id);
        expect(await api.runtime.store.readStream(toMessageStreamId(messageId))).toHaveLength(1);
      }
    });
  });

  describe('When a campaign is cancelled while its launch is queueing', () => {
    it('should stop queueing and cancel what was queued', async () => {
      const a = await list();
      await recipient([a]);
      await recipient([a]);
      await recipient([a]);
      const campaignId = await draft([a]);
      const report = await api.runtime.campaigns.launch(context(), {
        campaignId,
        now: new Date(),
        batchSize: 1,
        afterBatch: async (batch) => {
          if (batch === 1) {
            await api.runtime.campaigns.cancel(context(), { campaignId, now: new Date() });
          }
        },
      });
      expect(report).toMatchObject({ status: 'Cancelled', interrupted: true, appended: 1 });
      await caughtUp();
      expect(await campaign(campaignId)).toMatchObject({
        status: 'CANCELLED',
        delivery: { queued: 0, cancelled: 1, total: 1 },
      });
    });
  });

  describe('When launching is not possible', () => {
    it('should refuse a campaign without lists and an unknown one', async () => {
      const campaignId = await draft([]);
      const noLists = await api.graphql(LAUNCH, { id: campaignId }, apiKey);
      expect(noLists.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const unknown = await api.graphql(
        LAUNCH,
        { id: '6f1c1d0e-0000-4000-8000-000000000000' },
        apiKey,
      );
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const pauseDraft = await api.graphql(PAUSE, { id: campaignId }, apiKey);
      expect(pauseDraft.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    });
  });
});
