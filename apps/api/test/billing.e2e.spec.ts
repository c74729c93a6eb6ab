import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { nextBillingMonthStart, toBillingStreamId } from '#domain';
import { sqlBackends } from '#testing';

import { webhookSignatureHeader } from '../src/webhooks/webhook-signature.js';
import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

const SECRET = `whsec-billing-${randomUUID()}`;
const PAN = '4111111111111111';
const DAY_MS = 86_400_000;

const BILLING = `{ billing {
  plan { id name monthlyMessageQuota maxContacts maxApiKeys priceReference }
  usage { month timeZone resetsAt messagesUsed messagesLeft contacts apiKeys }
  paymentStatus paymentStatusSince graceEndsAt launchAllowed
  invoices { id reference amountMinor currency periodStart periodEnd issuedAt }
} }`;
const PLANS = `{ plans { id name monthlyMessageQuota maxContacts maxApiKeys priceReference } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { id status audience { recipients } } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) { status } }`;
const IMPORT = `mutation($input: ImportContactsInput!) { importContacts(input: $input) { added } }`;
const RECIPIENTS = `query($listId: ID) { recipients(listId: $listId, first: 100) { edges { node { id } } } }`;
const ISSUE = `mutation($input: IssueApiKeyInput!) { issueApiKey(input: $input) { secret } }`;
const EXPORT_ACCOUNT = `mutation { exportAccountData { json } }`;
const ERASE_ACCOUNT = `mutation($input: EraseAccountInput!) { eraseAccount(input: $input) { alreadyErased } }`;
const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>';

interface BillingView {
  billing: {
    plan: { id: string; monthlyMessageQuota: number | null; maxContacts: number | null };
    usage: {
      month: string;
      timeZone: string;
      resetsAt: string;
      messagesUsed: number;
      messagesLeft: number | null;
      contacts: number;
      apiKeys: number;
    };
    paymentStatus: string;
    paymentStatusSince: string | null;
    graceEndsAt: string | null;
    launchAllowed: boolean;
    invoices: Array<{ id: string; reference: string; amountMinor: number; currency: string }>;
  };
}

interface WebhookReply {
  status: number;
  body: {
    result?: { id: string; outcome: string };
    error?: { code: string; message: string; path?: string; reason?: string };
  };
}

/**
 * Plans, quotas and billing records (issue 6) over HTTP: plans for every role, `billing` for
 * owners and admins, quotas refused at launch, at import and at key issue, a month rollover with
 * a fixed clock, the signed billing webhook (signature, replay, card data), past-due blocking and
 * recovery, and billing records in the account export (kept after the account is erased).
 */
describe.each(sqlBackends())('Plans, quotas and billing (%s)', (backend) => {
  let api: ApiTestApp;
  let now = new Date();
  let output: string[];
  const tiny = `tiny-${randomUUID().slice(0, 8)}`;

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
        MAILPACKR_BILLING_WEBHOOK_SECRET: SECRET,
        MAILPACKR_BILLING_GRACE_DAYS: '3',
        MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
        LOG_LEVEL: 'verbose',
      },
      { logs: true, clock: () => now },
    );
    await api.runtime.billing.definePlan(
      {
        planId: tiny,
        name: 'Tiny',
        monthlyMessageQuota: 3,
        maxContacts: 2,
        maxApiKeys: 2,
        priceReference: 'price_tiny',
      },
      'test:operator',
    );
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    jest.restoreAllMocks();
  });

  const ok = async <T>(query: string, variables: Record<string, unknown>, key: string) => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const refusal = <T>(res: GraphQLResponse<T>) => res.errors?.[0]?.extensions;

  /** A tenant on the tiny plan (quota 3 messages, 2 contacts, 2 keys). */
  const tinyTenant = async (owner = false) => {
    const created = await api.runtime.tenants.createTenant({
      name: `Tiny ${randomUUID().slice(0, 6)}`,
      plan: 'pro',
      actor: 'test:operator',
      ...(owner ? { owner: { email: `owner.${randomUUID()}@example.org`, name: 'Olive' } } : {}),
    });
    await api.runtime.billing.changePlan({
      tenantId: created.tenantId,
      planId: tiny,
      source: 'operator',
      actor: 'test:operator',
      now,
    });
    await api.caughtUp(['api-keys', 'tenants', 'billing']);
    return { tenantId: created.tenantId, apiKey: created.apiKey };
  };

  const listWith = async (key: string, people: number) => {
    const listId = (
      await ok<{ createContactList: { id: string } }>(
        CREATE_LIST,
        { name: `L ${randomUUID()}` },
        key,
      )
    ).createContactList.id;
    for (let i = 0; i < people; i++)
      await ok(ADD, { input: { email: `p.${randomUUID()}@example.org`, listIds: [listId] } }, key);
    return listId;
  };

  const draft = async (key: string, listId: string) =>
    (
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

  const webhook = async (
    body: unknown,
    options: { signedAt?: Date; secret?: string } = {},
  ): Promise<WebhookReply> => {
    const raw = JSON.stringify(body);
    const response = await fetch(`${api.url}/webhooks/billing-events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'mailpackr-signature': webhookSignatureHeader(
          options.secret ?? SECRET,
          raw,
          options.signedAt ?? now,
        ),
      },
      body: raw,
    });
    return { status: response.status, body: (await response.json()) as WebhookReply['body'] };
  };

  const invoiceEvent = (tenantId: string, overrides: Record<string, unknown> = {}) => ({
    id: `evt_${randomUUID()}`,
    type: 'invoice.issued',
    tenantId,
    invoice: {
      reference: `in_${randomUUID().slice(0, 8)}`,
      amountMinor: 4900,
      currency: 'EUR',
      periodStart: '2025-01-01T00:00:00Z',
      periodEnd: '2025-02-01T00:00:00Z',
      issuedAt: '2025-01-01T00:05:00Z',
      ...overrides,
    },
  });

  const billingStream = (tenantId: string) =>
    api.runtime.store.readStream(toBillingStreamId(tenantId));

  describe('Given the default catalogue and an operator-defined plan', () => {
    it('should list the plans to every role, and billing to owners and admins only', async () => {
      const { tenantId, apiKey } = await tinyTenant();
      for (const role of ['viewer', 'marketer', 'admin'] as const) {
        const { apiKey: key } = await api.runtime.tenants.issueApiKey({
          tenantId,
          role,
          label: role,
          actor: 'test:operator',
          withinPlan: false,
        });
        await api.caughtUp(['api-keys']);
        const plans = await ok<{ plans: Array<{ id: string }> }>(PLANS, {}, key);
        expect(plans.plans.map((p) => p.id)).toEqual(
          expect.arrayContaining(['free', 'starter', 'pro', 'enterprise', tiny]),
        );
        const billing = await api.graphql<BillingView>(BILLING, {}, key);
        if (role === 'admin') expect(billing.errors).toBeUndefined();
        else
          expect(refusal(billing)).toMatchObject({ code: 'FORBIDDEN', permission: 'read_billing' });
      }
      const view = await ok<BillingView>(BILLING, {}, apiKey);
      expect(view.billing).toMatchObject({
        plan: { id: tiny, monthlyMessageQuota: 3, maxContacts: 2 },
        usage: { timeZone: 'UTC', messagesUsed: 0, messagesLeft: 3, contacts: 0 },
        paymentStatus: 'ACTIVE',
        launchAllowed: true,
        invoices: [],
      });
      const viewer = await ok<{ viewer: { tenant: { plan: string } } }>(
        '{ viewer { tenant { plan } } }',
        {},
        apiKey,
      );
      expect(viewer.viewer.tenant.plan).toBe(tiny);
    });

    it('should refuse an unknown plan and negative or absurd quotas, changing nothing', async () => {
      const { tenantId } = await tinyTenant();
      const before = await billingStream(tenantId);
      await expect(
        api.runtime.billing.changePlan({
          tenantId,
          planId: 'platinum',
          source: 'operator',
          actor: 'test:operator',
          now,
        }),
      ).rejects.toMatchObject({ code: 'PLAN_NOT_FOUND' });
      for (const bad of [{ monthlyMessageQuota: -1 }, { maxContacts: 1e12 }])
        await expect(
          api.runtime.billing.definePlan(
            {
              planId: tiny,
              name: 'Broken',
              monthlyMessageQuota: 3,
              maxContacts: 2,
              maxApiKeys: 2,
              priceReference: null,
              ...bad,
            },
            'test:operator',
          ),
        ).rejects.toMatchObject({ code: 'INVALID_PLAN' });
      expect(await billingStream(tenantId)).toEqual(before);
      expect((await api.runtime.billing.plan(tiny)).name).toBe('Tiny');
    });
  });

  describe('Given a tenant on a plan of 3 messages a month', () => {
    it('should refuse a launch over what is left, then allow it once the month rolls over', async () => {
      const { apiKey } = await tinyTenant();
      const listId = await listWith(apiKey, 2);
      const first = await draft(apiKey, listId);
      const launched = await ok<{ launchCampaign: { status: string } }>(
        LAUNCH,
        { id: first },
        apiKey,
      );
      expect(launched.launchCampaign.status).toBe('SENDING');

      const second = await draft(apiKey, listId);
      const refused = await api.graphql(LAUNCH, { id: second }, apiKey);
      expect(refusal(refused)).toMatchObject({
        code: 'CONFLICT',
        reason: 'MONTHLY_QUOTA_EXCEEDED',
        quota: 3,
        used: 2,
        left: 1,
        audience: 2,
      });
      expect(
        (await ok<{ campaign: { status: string } }>(CAMPAIGN, { id: second }, apiKey)).campaign
          .status,
      ).toBe('DRAFT');
      const month = (await ok<BillingView>(BILLING, {}, apiKey)).billing.usage;
      expect(month).toMatchObject({ messagesUsed: 2, messagesLeft: 1 });

      // The fixed clock moves to the first hour of the next month: the counters start again.
      now = new Date(nextBillingMonthStart(now, 'UTC').getTime() + 3_600_000);
      const next = (await ok<BillingView>(BILLING, {}, apiKey)).billing.usage;
      expect(next).toMatchObject({ messagesUsed: 0, messagesLeft: 3 });
      expect(next.month).not.toBe(month.month);
      const relaunched = await ok<{ launchCampaign: { status: string } }>(
        LAUNCH,
        { id: second },
        apiKey,
      );
      expect(relaunched.launchCampaign.status).toBe('SENDING');
    });
  });

  describe('Given a tenant on a plan of 2 contacts holding 1', () => {
    it('should refuse an import that would pass the limit, with the counts, and add nothing', async () => {
      const { apiKey } = await tinyTenant();
      const listId = await listWith(apiKey, 1);
      const csv = `email\na.${randomUUID()}@example.org\nb.${randomUUID()}@example.org\n`;
      const res = await api.graphql(IMPORT, { input: { listId, csv } }, apiKey);
      expect(refusal(res)).toMatchObject({
        code: 'CONFLICT',
        reason: 'CONTACT_LIMIT_EXCEEDED',
        limit: 2,
        contacts: 1,
        adding: 2,
        room: 1,
      });
      expect(res.errors![0]!.message).toMatch(/add 2 contacts to 1.*limit of 2/);
      await api.caughtUp(['recipients']);
      const people = await ok<{ recipients: { edges: unknown[] } }>(RECIPIENTS, { listId }, apiKey);
      expect(people.recipients.edges).toHaveLength(1);

      const one = await ok<{ importContacts: { added: number } }>(
        IMPORT,
        { input: { listId, csv: `email\nc.${randomUUID()}@example.org\n` } },
        apiKey,
      );
      expect(one.importContacts.added).toBe(1);
    });
  });

  describe('Given a tenant on a plan of 2 API keys', () => {
    it('should refuse a third working key, and issue again once one is revoked', async () => {
      const { apiKey } = await tinyTenant();
      const second = await api.graphql<{ issueApiKey: { secret: string } }>(
        ISSUE,
        { input: { role: 'VIEWER', label: 'second' } },
        apiKey,
      );
      expect(second.errors).toBeUndefined();
      const third = await api.graphql(ISSUE, { input: { role: 'VIEWER', label: 'third' } }, apiKey);
      expect(refusal(third)).toMatchObject({ code: 'CONFLICT', reason: 'API_KEY_LIMIT_REACHED' });
    });
  });

  describe('The billing webhook', () => {
    it('should record a signed invoice once, and refuse its replay and a stale or bad signature', async () => {
      const { tenantId, apiKey } = await tinyTenant();
      const event = invoiceEvent(tenantId, { reference: 'in_2025_0042', amountMinor: 12_345 });
      expect(await webhook(event)).toEqual({
        status: 200,
        body: { result: { id: event.id, outcome: 'recorded' } },
      });
      const recorded = await billingStream(tenantId);

      expect(await webhook(event)).toMatchObject({
        status: 409,
        body: { error: { code: 'DUPLICATE_EVENT', reason: 'DUPLICATE_PROVIDER_EVENT' } },
      });
      const fresh = invoiceEvent(tenantId);
      expect(
        await webhook(fresh, { signedAt: new Date(now.getTime() - 10 * 60_000) }),
      ).toMatchObject({
        status: 401,
        body: { error: { code: 'STALE_SIGNATURE' } },
      });
      expect(await webhook(fresh, { secret: `${SECRET}-wrong` })).toMatchObject({
        status: 401,
        body: { error: { code: 'INVALID_SIGNATURE' } },
      });
      expect(await webhook({ ...fresh, tenantId: randomUUID() })).toMatchObject({
        status: 404,
        body: { error: { code: 'TENANT_NOT_FOUND' } },
      });
      expect(await webhook({ ...fresh, type: 'refund.issued' })).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_PAYLOAD', path: '$.type' } },
      });
      expect(await billingStream(tenantId)).toEqual(recorded);

      const view = await ok<BillingView>(BILLING, {}, apiKey);
      expect(view.billing.invoices).toEqual([
        expect.objectContaining({
          reference: 'in_2025_0042',
          amountMinor: 12_345,
          currency: 'EUR',
        }),
      ]);
    });

    it('should refuse card data and neither store nor log it', async () => {
      const { tenantId } = await tinyTenant();
      const before = await billingStream(tenantId);
      const lines = output.length;
      for (const body of [
        { ...invoiceEvent(tenantId), card: { number: PAN, cvc: '123' } },
        invoiceEvent(tenantId, { reference: PAN }),
        { ...invoiceEvent(tenantId), cardNumber: '4111 1111 1111 1111' },
      ]) {
        const reply = await webhook(body);
        expect(reply).toMatchObject({
          status: 422,
          body: { error: { code: 'CARD_DATA_REFUSED' } },
        });
        expect(JSON.stringify(reply)).not.toContain(PAN);
        expect(JSON.stringify(reply)).not.toContain('4111 1111');
      }
      expect(await billingStream(tenantId)).toEqual(before);
      const stored = await api.runtime.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM mp_events
          WHERE data::text LIKE '%' || $1 || '%' OR data::text LIKE '%4111 1111%'`,
        [PAN],
      );
      expect(Number(stored.rows[0]!.n)).toBe(0);
      const logged = output.slice(lines).join('');
      expect(logged).toContain('CARD_DATA_REFUSED');
      expect(logged).not.toContain(PAN);
      expect(logged).not.toContain('4111 1111');
    });

    it('should block launches past the grace period while payment is past due, and recover', async () => {
      const { tenantId, apiKey } = await tinyTenant(true);
      const listId = await listWith(apiKey, 1);
      const pastDue = {
        id: `evt_${randomUUID()}`,
        type: 'payment_status.changed',
        tenantId,
        payment: { status: 'past_due' },
      };
      expect((await webhook(pastDue)).status).toBe(200);
      const due = await ok<BillingView>(BILLING, {}, apiKey);
      expect(due.billing).toMatchObject({ paymentStatus: 'PAST_DUE', launchAllowed: true });
      expect(Date.parse(due.billing.graceEndsAt!)).toBe(now.getTime() + 3 * DAY_MS);

      now = new Date(now.getTime() + 4 * DAY_MS);
      const campaignId = await draft(apiKey, listId);
      const refused = await api.graphql(LAUNCH, { id: campaignId }, apiKey);
      expect(refusal(refused)).toMatchObject({ code: 'CONFLICT', reason: 'PAYMENT_PAST_DUE' });
      expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.launchAllowed).toBe(false);
      // Data stays intact and exportable.
      expect((await api.graphql(EXPORT_ACCOUNT, {}, apiKey)).errors).toBeUndefined();
      expect(
        (await ok<{ recipients: { edges: unknown[] } }>(RECIPIENTS, { listId }, apiKey)).recipients
          .edges,
      ).toHaveLength(1);

      const settled = { ...pastDue, id: `evt_${randomUUID()}`, payment: { status: 'active' } };
      expect((await webhook(settled)).status).toBe(200);
      const launched = await ok<{ launchCampaign: { status: string } }>(
        LAUNCH,
        { id: campaignId },
        apiKey,
      );
      expect(launched.launchCampaign.status).toBe('SENDING');
    });

    it('should change the plan on the provider’s word', async () => {
      const { tenantId, apiKey } = await tinyTenant();
      const reply = await webhook({
        id: `evt_${randomUUID()}`,
        type: 'subscription.plan_changed',
        tenantId,
        plan: { planId: 'starter' },
      });
      expect(reply.status).toBe(200);
      expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.plan.id).toBe('starter');
      const unknown = await webhook({
        id: `evt_${randomUUID()}`,
        type: 'subscription.plan_changed',
        tenantId,
        plan: { planId: 'platinum' },
      });
      expect(unknown).toMatchObject({ status: 400, body: { error: { reason: 'PLAN_NOT_FOUND' } } });
    });
  });

  describe('Given an account holder with invoices', () => {
    it('should export the billing records, and keep them after the account is erased', async () => {
      const { tenantId, apiKey } = await tinyTenant(true);
      const event = invoiceEvent(tenantId, { reference: 'in_export_1', amountMinor: 990 });
      expect((await webhook(event)).status).toBe(200);
      expect(
        (
          await webhook({
            id: `evt_${randomUUID()}`,
            type: 'payment_status.changed',
            tenantId,
            payment: { status: 'past_due' },
          })
        ).status,
      ).toBe(200);

      const exported = JSON.parse(
        (await ok<{ exportAccountData: { json: string } }>(EXPORT_ACCOUNT, {}, apiKey))
          .exportAccountData.json,
      ) as { account: { id: string }; billing: Record<string, unknown> };
      expect(exported.billing).toMatchObject({
        planId: tiny,
        paymentStatus: 'past_due',
        retentionYears: 10,
        invoices: [
          expect.objectContaining({ reference: 'in_export_1', amountMinor: 990, currency: 'EUR' }),
        ],
      });
      expect((exported.billing.events as Array<{ type: string }>).map((e) => e.type)).toEqual([
        'SubscriptionPlanChanged',
        'InvoiceIssued',
        'PaymentStatusChanged',
      ]);

      const erased = await api.graphql(
        ERASE_ACCOUNT,
        { input: { accountId: exported.account.id, basis: 'GDPR_ART17' } },
        apiKey,
      );
      expect(erased.errors).toBeUndefined();
      const kept = await api.runtime.billing.exportRecords(tenantId);
      expect(kept.invoices).toEqual([expect.objectContaining({ reference: 'in_export_1' })]);
      expect((await ok<BillingView>(BILLING, {}, apiKey)).billing.invoices).toHaveLength(1);
    });
  });
});
