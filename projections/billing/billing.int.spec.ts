import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  PLAN_CATALOGUE_STREAM_ID,
  billingMonthOf,
  toBillingStreamId,
  toCampaignStreamId,
} from '#domain';
import type { RecordedEvent } from '#event-store';
import {
  type BillingAccountRow,
  type BillingLaunchRow,
  type InvoiceRow,
  type PlanRow,
  type Projection,
  billingProjection,
  plansProjection,
} from '#projections';
import {
  ProjectionHarness,
  aBillingSettingsChanged,
  aCampaignStarted,
  aPaymentStatusChanged,
  aPlan,
  aSubscriptionPlanChanged,
  anId,
  anInvoiceIssued,
  sqlBackends,
} from '#testing';

describe.each(sqlBackends())('Billing projections on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [plansProjection, billingProjection]);
  });
  afterAll(async () => harness.stop());

  const caughtUp = async (): Promise<void> => {
    const position = await harness.store.lastCommittedPosition();
    for (const deadline = Date.now() + 10_000; ;) {
      await harness.runner.catchUp();
      if (!position || (await harness.runner.waitFor(position, undefined, 0))) return;
      if (Date.now() > deadline) throw new Error('the projections did not catch up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const sql = () => ({
    query: async <R>(q: string, p?: unknown[]) => (await harness.pool.query(q, p)).rows as R[],
  });

  const redeliver = (projection: Projection, events: readonly RecordedEvent[]) =>
    projection.apply(events, sql(), {
      plans: 'plans',
      billing_accounts: 'billing_accounts',
      invoices: 'invoices',
      billing_launches: 'billing_launches',
    });

  const account = async (tenantId: string) =>
    (
      await harness.rows<BillingAccountRow>('SELECT * FROM billing_accounts WHERE tenant_id = $1', [
        tenantId,
      ])
    )[0];

  const launches = (tenantId: string) =>
    harness.rows<BillingLaunchRow>(
      'SELECT * FROM billing_launches WHERE tenant_id = $1 ORDER BY started_at',
      [tenantId],
    );

  const used = async (tenantId: string, month: string) =>
    Number(
      (
        await harness.rows<{ n: string | null }>(
          'SELECT sum(messages) AS n FROM billing_launches WHERE tenant_id = $1 AND month = $2',
          [tenantId, month],
        )
      )[0]?.n ?? 0,
    );

  describe('When plans are defined and one is retired', () => {
    it('should list every plan with its limits, the retired one marked', async () => {
      const planId = `p${anId().slice(0, 8)}`;
      await harness.append(PLAN_CATALOGUE_STREAM_ID, [
        { type: 'PlanDefined', data: { ...aPlan({ planId }), definedAt: '2025-01-01T00:00:00Z' } },
        {
          type: 'PlanDefined',
          data: { ...aPlan({ planId, maxContacts: null }), definedAt: '2025-01-02T00:00:00Z' },
        },
        { type: 'PlanRetired', data: { planId, retiredAt: '2025-01-03T00:00:00Z' } },
      ]);
      await caughtUp();
      const [row] = await harness.rows<PlanRow>('SELECT * FROM plans WHERE plan_id = $1', [planId]);
      expect(row).toMatchObject({
        plan_id: planId,
        name: 'Tiny',
        monthly_message_quota: 3,
        max_contacts: null,
        max_api_keys: 2,
        price_reference: 'price_tiny',
      });
      expect(row!.retired_at).not.toBeNull();
    });
  });

  describe('When a tenant changes plan, is invoiced and falls past due', () => {
    it('should keep its plan, payment status and invoices (no card data)', async () => {
      const tenantId = anId();
      const invoiceId = anId();
      await harness.append(
        toBillingStreamId(tenantId),
        [
          aSubscriptionPlanChanged({ tenantId, planId: 'pro' }),
          anInvoiceIssued({ tenantId, invoiceId, reference: 'in_7', amountMinor: 4900 }),
          aPaymentStatusChanged({
            tenantId,
            status: 'past_due',
            changedAt: '2025-01-05T00:00:00.000Z',
          }),
        ],
        tenantId,
      );
      await caughtUp();
      expect(await account(tenantId)).toMatchObject({
        tenant_id: tenantId,
        plan_id: 'pro',
        payment_status: 'past_due',
        time_zone: 'UTC',
        last_revision: '2',
      });
      const invoices = await harness.rows<InvoiceRow>(
        'SELECT * FROM invoices WHERE tenant_id = $1',
        [tenantId],
      );
      expect(invoices).toEqual([
        expect.objectContaining({
          invoice_id: invoiceId,
          reference: 'in_7',
          amount_minor: '4900',
          currency: 'EUR',
        }),
      ]);
    });

    it('should leave the rows as they were when the events are redelivered', async () => {
      const tenantId = anId();
      const stream = toBillingStreamId(tenantId);
      await harness.append(
        stream,
        [
          aSubscriptionPlanChanged({ tenantId, planId: 'starter' }),
          anInvoiceIssued({ tenantId }),
          aPaymentStatusChanged({ tenantId, status: 'past_due' }),
          aPaymentStatusChanged({ tenantId, status: 'active', previousStatus: 'past_due' }),
        ],
        tenantId,
      );
      await caughtUp();
      const before = await account(tenantId);
      const invoicesBefore = await harness.rows('SELECT * FROM invoices WHERE tenant_id = $1', [
        tenantId,
      ]);
      await redeliver(billingProjection, (await harness.store.readStream(stream)).slice(0, 3));
      expect(await account(tenantId)).toEqual(before);
      expect(before).toMatchObject({ payment_status: 'active' });
      expect(await harness.rows('SELECT * FROM invoices WHERE tenant_id = $1', [tenantId])).toEqual(
        invoicesBefore,
      );
    });
  });

  describe('Given a tenant in Paris and a fixed clock at the end of January (UTC)', () => {
    it('should count a launch at 23:30 UTC on January 31st in February, and reset in March', async () => {
      const tenantId = anId();
      await harness.append(
        toBillingStreamId(tenantId),
        [aBillingSettingsChanged({ tenantId, timeZone: 'Europe/Paris' })],
        tenantId,
      );
      const january = aCampaignStarted({
        tenantId,
        startedAt: '2025-01-31T22:30:00.000Z', // 23:30 in Paris: still January there
        audience: { ...aCampaignStarted().data.audience, recipients: 40 },
      });
      const february = aCampaignStarted({
        tenantId,
        startedAt: '2025-01-31T23:30:00.000Z', // 00:30 on February 1st in Paris
        audience: { ...aCampaignStarted().data.audience, recipients: 7 },
      });
      for (const started of [january, february])
        await harness.append(toCampaignStreamId(started.data.campaignId), [started], tenantId);
      await caughtUp();

      expect((await launches(tenantId)).map((l) => [l.month, l.messages])).toEqual([
        ['2025-01', 40],
        ['2025-02', 7],
      ]);
      const fixedClock = new Date('2025-01-31T23:45:00Z');
      expect(await used(tenantId, billingMonthOf(fixedClock, 'Europe/Paris'))).toBe(7);
      expect(await used(tenantId, billingMonthOf(fixedClock, 'UTC'))).toBe(40);
      const march = new Date('2025-02-28T23:00:00Z'); // midnight, March 1st, in Paris
      expect(await used(tenantId, billingMonthOf(march, 'Europe/Paris'))).toBe(0);
    });

    it('should count a redelivered launch once', async () => {
      const tenantId = anId();
      const started = aCampaignStarted({ tenantId });
      const stream = toCampaignStreamId(started.data.campaignId);
      await harness.append(stream, [started], tenantId);
      await caughtUp();
      await redeliver(billingProjection, await harness.store.readStream(stream));
      expect(await used(tenantId, '2025-01')).toBe(3);
    });
  });

  describe('Given a launch limited by the quota (overQuota: pause), resumed the next month', () => {
    it('should count what may be sent: the limit in January, each release in its month', async () => {
      const tenantId = anId();
      await harness.append(
        toBillingStreamId(tenantId),
        [
          {
            type: 'BillingSettingsChanged',
            data: {
              tenantId,
              timeZone: 'UTC',
              overQuota: 'pause',
              changedAt: '2025-01-01T00:00:00.000Z',
            },
          },
        ],
        tenantId,
      );
      const started = aCampaignStarted({
        tenantId,
        startedAt: '2025-01-20T10:00:00.000Z',
        audience: { ...aCampaignStarted().data.audience, recipients: 5 },
        sendLimit: 3,
      });
      const { campaignId } = started.data;
      const stream = toCampaignStreamId(campaignId);
      await harness.append(
        stream,
        [
          started,
          {
            type: 'CampaignPaused',
            data: { campaignId, tenantId, pausedAt: '2025-01-20T11:00:00.000Z', reason: 'quota' },
          },
          // A release in February, then a manual pause and resume (nothing more sent).
          {
            type: 'CampaignResumed',
            data: { campaignId, tenantId, resumedAt: '2025-02-01T09:00:00.000Z', released: 1 },
          },
          {
            type: 'CampaignPaused',
            data: { campaignId, tenantId, pausedAt: '2025-02-01T09:30:00.000Z' },
          },
          {
            type: 'CampaignResumed',
            data: { campaignId, tenantId, resumedAt: '2025-02-01T09:40:00.000Z' },
          },
          {
            type: 'CampaignPaused',
            data: { campaignId, tenantId, pausedAt: '2025-02-01T10:00:00.000Z', reason: 'quota' },
          },
          {
            type: 'CampaignResumed',
            data: { campaignId, tenantId, resumedAt: '2025-03-03T09:00:00.000Z', released: 1 },
          },
        ],
        tenantId,
      );
      await caughtUp();

      expect(await account(tenantId)).toMatchObject({ over_quota: 'pause' });
      expect(
        (await launches(tenantId)).map((l) => [l.entry_id, l.campaign_id, l.month, l.messages]),
      ).toEqual([
        [campaignId, campaignId, '2025-01', 3],
        [`${campaignId}:2`, campaignId, '2025-02', 1],
        [`${campaignId}:6`, campaignId, '2025-03', 1],
      ]);
      expect(await used(tenantId, '2025-01')).toBe(3);
      expect(await used(tenantId, '2025-02')).toBe(1);

      await redeliver(
        billingProjection,
        (await harness.store.readStream(stream)).filter((e) =>
          billingProjection.filter.eventTypes?.includes(e.type),
        ),
      );
      expect((await launches(tenantId)).map((l) => l.messages)).toEqual([3, 1, 1]);
    });

    it('should read an account set before the setting existed as refuse', async () => {
      const tenantId = anId();
      await harness.append(
        toBillingStreamId(tenantId),
        [aBillingSettingsChanged({ tenantId, timeZone: 'Europe/Paris' })],
        tenantId,
      );
      await caughtUp();
      expect(await account(tenantId)).toMatchObject({
        time_zone: 'Europe/Paris',
        over_quota: 'refuse',
      });
    });
  });
});
