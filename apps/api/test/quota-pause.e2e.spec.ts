import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { nextBillingMonthStart } from '#domain';
import { sqlBackends } from '#testing';

import { runBillingCommand } from '../src/cli/billing.commands.js';
import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

const BILLING = `{ billing { overQuota usage { month messagesUsed messagesLeft } } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status audience { recipients } } }`;
const RESUME = `mutation($id: ID!) { resumeCampaign(input: { id: $id }) { status pausedReason } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(input: { id: $id }) { status pausedReason } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) {
  status pausedReason audience { recipients queuedMessages } delivery { queued sent total } } }`;
const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>';

interface CampaignView {
  campaign: {
    status: string;
    pausedReason: string | null;
    audience: { recipients: number; queuedMessages: number | null } | null;
    delivery: { queued: number; sent: number; total: number };
  };
}

interface BillingView {
  billing: {
    overQuota: string;
    usage: { month: string; messagesUsed: number; messagesLeft: number | null };
  };
}

/**
 * "Send up to the quota and pause" (issue 6) over HTTP with real SMTP (the capture server): a
 * tenant whose plan leaves 3 messages this month and `overQuota: pause` launches to 5 people,
 * 3 are mailed and the campaign pauses for the quota; a resume the same month is refused; in the
 * next month (fixed clock) a resume sends the 2 others and the campaign completes. With `refuse`
 * the launch is refused as before.
 */
describe.each(sqlBackends())('Send up to the quota and pause (%s)', (backend) => {
  let api: ApiTestApp;
  let now = new Date();
  const plan = `three-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // Nothing runs on a timer: the test drives the sender itself.
    api = await ApiTestApp.start(
      backend,
      { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' },
      { clock: () => now },
    );
    await api.runtime.billing.definePlan(
      {
        planId: plan,
        name: 'Three',
        monthlyMessageQuota: 3,
        maxContacts: 100,
        maxApiKeys: 5,
        priceReference: null,
      },
      'test:operator',
    );
    await api.runtime.delivery.open();
  }, 60_000);
  afterAll(async () => api?.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown>, key: string) => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const refusal = <T>(res: GraphQLResponse<T>) => res.errors?.[0]?.extensions;

  /** A tenant on the 3-message plan, with `tenant over-quota <policy>` run by the operator. */
  const tenantWith = async (policy: 'refuse' | 'pause') => {
    const created = await api.runtime.tenants.createTenant({
      name: `Three ${randomUUID().slice(0, 6)}`,
      plan: 'pro',
      actor: 'test:operator',
    });
    await api.runtime.billing.changePlan({
      tenantId: created.tenantId,
      planId: plan,
      source: 'operator',
      actor: 'test:operator',
      now,
    });
    const out: string[] = [];
    const code = await runBillingCommand(
      api.runtime,
      'tenant over-quota',
      [created.tenantId, policy],
      {},
      (line) => out.push(line ?? ''),
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(created.tenantId);
    await api.caughtUp(['api-keys', 'tenants', 'billing']);
    return created;
  };

  const campaignTo = async (key: string, people: number) => {
    const listId = (
      await ok<{ createContactList: { id: string } }>(
        CREATE_LIST,
        { name: `L ${randomUUID()}` },
        key,
      )
    ).createContactList.id;
    const emails: string[] = [];
    for (let i = 0; i < people; i++) {
      const email = `q${i}.${randomUUID()}@example.org`;
      emails.push(email);
      await ok(ADD, { input: { email, listIds: [listId] } }, key);
    }
    const id = (
      await ok<{ draftCampaign: { id: string } }>(
        DRAFT,
        {
          input: {
            name: `C ${randomUUID()}`,
            subject: 'Hello',
            fromAddress: 'news@acme.example',
            mjmlBody: MJML,
            listIds: [listId],
          },
        },
        key,
      )
    ).draftCampaign.id;
    return { id, emails };
  };

  const mailedTo = (emails: readonly string[]) =>
    api.runtime.delivery
      .capture!.messages.flatMap((m) => m.rcptTo)
      .filter((to) => emails.includes(to));

  const campaign = async (id: string, key: string) => {
    await api.caughtUp(['campaigns', 'messages']);
    return (await ok<CampaignView>(CAMPAIGN, { id }, key)).campaign;
  };

  it('should send 3 of 5, pause for the quota, refuse a resume this month and send the rest the next', async () => {
    const { apiKey } = await tenantWith('pause');
    expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.overQuota).toBe('PAUSE');
    const { id, emails } = await campaignTo(apiKey, 5);

    const launched = await ok<{ launchCampaign: { status: string } }>(LAUNCH, { id }, apiKey);
    expect(launched.launchCampaign.status).toBe('SENDING');
    expect(await campaign(id, apiKey)).toMatchObject({
      status: 'SENDING',
      audience: { recipients: 5, queuedMessages: 3 },
      delivery: { queued: 3, total: 3 },
    });

    const run = await api.runtime.delivery.runOnce({ now });
    expect(run).toMatchObject({ sent: 3, errors: 0 });
    expect(mailedTo(emails)).toHaveLength(3);
    // The next round finds the allowed messages done: the campaign pauses (not completed).
    expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ sent: 0, completed: 0 });
    expect(await campaign(id, apiKey)).toMatchObject({
      status: 'PAUSED',
      pausedReason: 'QUOTA',
      delivery: { sent: 3, total: 3 },
    });
    const month = (await ok<BillingView>(BILLING, {}, apiKey)).billing.usage;
    expect(month).toMatchObject({ messagesUsed: 3, messagesLeft: 0 });

    // The same month: nothing is left, the resume is refused and nothing changes.
    const refused = await api.graphql(RESUME, { id }, apiKey);
    expect(refusal(refused)).toMatchObject({
      code: 'CONFLICT',
      reason: 'MONTHLY_QUOTA_EXCEEDED',
      quota: 3,
      used: 3,
      left: 0,
    });
    expect(await campaign(id, apiKey)).toMatchObject({ status: 'PAUSED', pausedReason: 'QUOTA' });
    expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ sent: 0 });

    // The fixed clock moves into the next month: the resume releases the 2 held back.
    now = new Date(nextBillingMonthStart(now, 'UTC').getTime() + 3_600_000);
    const resumed = await ok<{ resumeCampaign: { status: string; pausedReason: string | null } }>(
      RESUME,
      { id },
      apiKey,
    );
    expect(resumed.resumeCampaign).toEqual({ status: 'SENDING', pausedReason: null });
    expect(await campaign(id, apiKey)).toMatchObject({
      status: 'SENDING',
      audience: { queuedMessages: 5 },
      delivery: { queued: 2, sent: 3, total: 5 },
    });
    expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ sent: 2, errors: 0 });
    expect(await api.runtime.delivery.runOnce({ now })).toMatchObject({ sent: 0, completed: 1 });
    const mailed = mailedTo(emails);
    expect(mailed).toHaveLength(5);
    expect(new Set(mailed)).toEqual(new Set(emails));
    expect(await campaign(id, apiKey)).toMatchObject({
      status: 'COMPLETED',
      pausedReason: null,
      delivery: { sent: 5, total: 5 },
    });
    const next = (await ok<BillingView>(BILLING, {}, apiKey)).billing.usage;
    expect(next.month).not.toBe(month.month);
    expect(next).toMatchObject({ messagesUsed: 2, messagesLeft: 1 });
  });

  it('should pause at once when nothing is left, and a manual pause stays a manual one', async () => {
    const { apiKey } = await tenantWith('pause');
    const first = await campaignTo(apiKey, 3);
    await ok(LAUNCH, { id: first.id }, apiKey);
    const paused = await ok<{ pauseCampaign: { status: string; pausedReason: string } }>(
      PAUSE,
      { id: first.id },
      apiKey,
    );
    expect(paused.pauseCampaign).toEqual({ status: 'PAUSED', pausedReason: 'MANUAL' });

    const second = await campaignTo(apiKey, 2);
    const launched = await ok<{ launchCampaign: { status: string } }>(
      LAUNCH,
      { id: second.id },
      apiKey,
    );
    expect(launched.launchCampaign.status).toBe('PAUSED');
    expect(await campaign(second.id, apiKey)).toMatchObject({
      status: 'PAUSED',
      pausedReason: 'QUOTA',
      audience: { recipients: 2, queuedMessages: 0 },
      delivery: { total: 0 },
    });
    expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.usage).toMatchObject({
      messagesUsed: 3,
      messagesLeft: 0,
    });
  });

  it('should still refuse a launch over what is left with refuse (the default)', async () => {
    const { apiKey } = await tenantWith('refuse');
    expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.overQuota).toBe('REFUSE');
    const { id, emails } = await campaignTo(apiKey, 5);
    const refused = await api.graphql(LAUNCH, { id }, apiKey);
    expect(refusal(refused)).toMatchObject({
      code: 'CONFLICT',
      reason: 'MONTHLY_QUOTA_EXCEEDED',
      quota: 3,
      used: 0,
      left: 3,
      audience: 5,
    });
    expect(await campaign(id, apiKey)).toMatchObject({ status: 'DRAFT', pausedReason: null });
    expect(mailedTo(emails)).toHaveLength(0);
  });

  it('should refuse an unknown over-quota setting at the CLI, changing nothing', async () => {
    const { tenantId } = await tenantWith('refuse');
    await expect(
      runBillingCommand(api.runtime, 'tenant over-quota', [tenantId, 'stop'], {}, () => undefined),
    ).rejects.toThrow(/refuse or pause/);
  });
});
