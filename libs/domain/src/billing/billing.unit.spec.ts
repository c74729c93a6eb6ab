import { describe, expect, it } from '@jest/globals';

import {
  BillingError,
  DEFAULT_PLANS,
  PLAN_LIMITS,
  TenantError,
  assertContactCapacity,
  assertPaymentAllowsLaunch,
  assertWithinMonthlyQuota,
  billingDecider,
  billingErrorKinds,
  billingMonthOf,
  graceEndsAt,
  isTimeZone,
  monthlySendAllowance,
  nextBillingMonthStart,
  planCatalogueDecider,
  tenantDecider,
  toBillingStreamId,
  type BillingErrorCode,
  type DefinePlan,
  type Plan,
} from '#domain';

import { aNow, anId, daysAfter } from '../../../testing/src/builders/common.builders.js';
import {
  aChangePaymentStatus,
  aChangeSubscriptionPlan,
  aPaymentStatusChanged,
  aPlan,
  aRecordInvoice,
  aSubscriptionPlanChanged,
  anInvoiceIssued,
} from '../../../testing/src/builders/billing.builders.js';
import {
  aTenantCreated,
  anApiKeyIssued,
  anApiKeyRevoked,
  anIssueApiKey,
} from '../../../testing/src/builders/tenant.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const givenCatalogue = DeciderSpecification.for(planCatalogueDecider);
const givenBilling = DeciderSpecification.for(billingDecider);
const givenTenant = DeciderSpecification.for(tenantDecider);

const withCode =
  (code: BillingErrorCode) =>
  (e: BillingError): boolean =>
    e.code === code;

const aDefinePlan = (plan: Plan, now = aNow()): DefinePlan => ({
  type: 'DefinePlan',
  data: { plan },
  metadata: { now },
});

describe('Plan catalogue', () => {
  describe('When a plan is defined', () => {
    it('should record the plan with its limits', () =>
      givenCatalogue([])
        .when(aDefinePlan(aPlan({ name: '  Tiny  ' })))
        .then([
          {
            type: 'PlanDefined',
            data: { ...aPlan(), definedAt: aNow().toISOString() },
          },
        ]));

    it('should accept unlimited (null) limits', () =>
      givenCatalogue([])
        .when(
          aDefinePlan(aPlan({ monthlyMessageQuota: null, maxContacts: null, maxApiKeys: null })),
        )
        .thenStateMatches({}));

    it('should record nothing when the same plan is defined again', () =>
      givenCatalogue([
        { type: 'PlanDefined', data: { ...aPlan(), definedAt: aNow().toISOString() } },
      ])
        .when(aDefinePlan(aPlan()))
        .thenNothing());

    it.each([
      ['a negative quota', { monthlyMessageQuota: -1 }],
      ['an absurd quota', { monthlyMessageQuota: PLAN_LIMITS.maxMonthlyMessages + 1 }],
      ['a fractional quota', { monthlyMessageQuota: 1.5 }],
      ['a negative contact limit', { maxContacts: -5 }],
      ['an absurd contact limit', { maxContacts: 1e12 }],
      ['no API key at all', { maxApiKeys: 0 }],
      ['an absurd key limit', { maxApiKeys: 1e9 }],
      ['a quota that is not a number', { monthlyMessageQuota: '100' as unknown as number }],
      ['an id with capitals', { planId: 'Pro' }],
      ['an empty name', { name: '  ' }],
      ['a name on two lines', { name: 'Pro\nPlan' }],
    ] as Array<[string, Partial<Plan>]>)('should refuse %s: INVALID_PLAN', (_, overrides) =>
      givenCatalogue([])
        .when(aDefinePlan(aPlan(overrides)))
        .thenThrows(BillingError, withCode('INVALID_PLAN')),
    );

    it('should hold the default plans, each valid', () => {
      for (const plan of DEFAULT_PLANS)
        givenCatalogue([]).when(aDefinePlan(plan)).thenStateMatches({});
    });
  });

  describe('When a plan is retired', () => {
    it('should mark it retired and keep it', () =>
      givenCatalogue([
        { type: 'PlanDefined', data: { ...aPlan(), definedAt: aNow().toISOString() } },
      ])
        .when({ type: 'RetirePlan', data: { planId: 'tiny' }, metadata: { now: aNow() } })
        .then([
          { type: 'PlanRetired', data: { planId: 'tiny', retiredAt: aNow().toISOString() } },
        ]));

    it('should refuse an unknown plan: PLAN_NOT_FOUND', () =>
      givenCatalogue([])
        .when({ type: 'RetirePlan', data: { planId: 'gold' }, metadata: { now: aNow() } })
        .thenThrows(BillingError, withCode('PLAN_NOT_FOUND')));
  });
});

describe('Billing account', () => {
  const tenantId = anId();
  const now = aNow();

  describe('When the plan changes', () => {
    it('should record SubscriptionPlanChanged from the creation plan', () =>
      givenBilling([])
        .when(aChangeSubscriptionPlan({ tenantId, planId: 'pro', currentPlanId: 'free', now }))
        .then([
          aSubscriptionPlanChanged({
            tenantId,
            planId: 'pro',
            previousPlanId: 'free',
            changedAt: now.toISOString(),
          }),
        ]));

    it('should take the previous plan from its own history after a first change', () =>
      givenBilling([aSubscriptionPlanChanged({ tenantId, planId: 'starter' })])
        .when(aChangeSubscriptionPlan({ tenantId, planId: 'pro', currentPlanId: 'free', now }))
        .then([
          aSubscriptionPlanChanged({
            tenantId,
            planId: 'pro',
            previousPlanId: 'starter',
            changedAt: now.toISOString(),
          }),
        ]));

    it('should record nothing when the tenant is on that plan already', () =>
      givenBilling([aSubscriptionPlanChanged({ tenantId, planId: 'pro' })])
        .when(aChangeSubscriptionPlan({ tenantId, planId: 'pro' }))
        .thenNothing());

    it('should refuse an unknown plan: PLAN_NOT_FOUND, nothing changed', () =>
      givenBilling([])
        .when(aChangeSubscriptionPlan({ tenantId, planId: 'platinum' }))
        .thenThrows(BillingError, withCode('PLAN_NOT_FOUND')));

    it('should refuse a retired plan: PLAN_RETIRED', () =>
      givenBilling([])
        .when(
          aChangeSubscriptionPlan({
            tenantId,
            planId: 'tiny',
            catalogue: new Map([['tiny', { ...aPlan(), retired: true }]]),
          }),
        )
        .thenThrows(BillingError, withCode('PLAN_RETIRED')));

    it('should refuse a provider event id seen before: DUPLICATE_PROVIDER_EVENT', () =>
      givenBilling([aSubscriptionPlanChanged({ tenantId, providerEventId: 'evt_1' })])
        .when(
          aChangeSubscriptionPlan({
            tenantId,
            planId: 'enterprise',
            source: 'billing_provider',
            providerEventId: 'evt_1',
          }),
        )
        .thenThrows(BillingError, withCode('DUPLICATE_PROVIDER_EVENT')));
  });

  describe('When an invoice is issued', () => {
    it('should record its reference, amount, currency and period (no card data)', () => {
      const invoiceId = anId();
      return givenBilling([])
        .when(
          aRecordInvoice({
            tenantId,
            invoiceId,
            reference: ' in_42 ',
            providerEventId: 'evt_9',
            now,
          }),
        )
        .then([
          anInvoiceIssued({
            tenantId,
            invoiceId,
            reference: 'in_42',
            providerEventId: 'evt_9',
            recordedAt: now.toISOString(),
          }),
        ]);
    });

    it('should refuse the same provider event twice: DUPLICATE_PROVIDER_EVENT', () =>
      givenBilling([anInvoiceIssued({ tenantId, providerEventId: 'evt_9' })])
        .when(aRecordInvoice({ tenantId, reference: 'in_43', providerEventId: 'evt_9' }))
        .thenThrows(BillingError, withCode('DUPLICATE_PROVIDER_EVENT')));

    it('should refuse an invoice recorded before under another event id', () =>
      givenBilling([anInvoiceIssued({ tenantId, reference: 'in_42' })])
        .when(aRecordInvoice({ tenantId, reference: 'in_42' }))
        .thenThrows(BillingError, withCode('INVOICE_ALREADY_RECORDED')));

    it.each([
      ['a negative amount', { amountMinor: -100 }],
      ['a fractional amount', { amountMinor: 12.5 }],
      ['an absurd amount', { amountMinor: 1e12 }],
      ['a lower-case currency', { currency: 'eur' }],
      ['an empty reference', { reference: '' }],
      [
        'a period that ends before it starts',
        {
          periodStart: new Date('2025-02-01T00:00:00Z'),
          periodEnd: new Date('2025-01-01T00:00:00Z'),
        },
      ],
      ['an invalid date', { issuedAt: new Date('nope') }],
    ] as const)('should refuse %s: INVALID_INVOICE', (_, overrides) =>
      givenBilling([])
        .when(aRecordInvoice({ tenantId, ...overrides }))
        .thenThrows(BillingError, withCode('INVALID_INVOICE')),
    );
  });

  describe('When the payment status changes', () => {
    it('should record it with the previous status', () =>
      givenBilling([])
        .when(aChangePaymentStatus({ tenantId, status: 'past_due', providerEventId: 'evt_p', now }))
        .then([
          aPaymentStatusChanged({
            tenantId,
            status: 'past_due',
            previousStatus: 'active',
            providerEventId: 'evt_p',
            changedAt: now.toISOString(),
          }),
        ]));

    it('should record nothing when the status is the same', () =>
      givenBilling([])
        .when(aChangePaymentStatus({ tenantId, status: 'active' }))
        .thenNothing());

    it('should refuse an unknown status', () =>
      givenBilling([])
        .when(aChangePaymentStatus({ tenantId, status: 'paid' as never }))
        .thenThrows(BillingError, withCode('INVALID_PAYMENT_STATUS')));
  });

  describe('When the time zone is set', () => {
    it('should record it', () =>
      givenBilling([])
        .when({
          type: 'ChangeBillingSettings',
          data: { tenantId, timeZone: 'Asia/Kolkata' },
          metadata: { now },
        })
        .then([
          {
            type: 'BillingSettingsChanged',
            data: { tenantId, timeZone: 'Asia/Kolkata', changedAt: now.toISOString() },
          },
        ]));

    it('should refuse a zone that does not exist', () =>
      givenBilling([])
        .when({
          type: 'ChangeBillingSettings',
          data: { tenantId, timeZone: 'Mars/Olympus_Mons' },
          metadata: { now },
        })
        .thenThrows(BillingError, withCode('INVALID_BILLING_SETTINGS')));
  });

  describe('When the over-quota setting changes', () => {
    const settings = (data: { timeZone?: string; overQuota?: 'refuse' | 'pause' }) =>
      ({ type: 'ChangeBillingSettings', data: { tenantId, ...data }, metadata: { now } }) as const;

    it('should record pause, keeping the time zone', () =>
      givenBilling([])
        .when(settings({ overQuota: 'pause' }))
        .then([
          {
            type: 'BillingSettingsChanged',
            data: { tenantId, timeZone: 'UTC', overQuota: 'pause', changedAt: now.toISOString() },
          },
        ]));

    it('should be refuse until set (events before the setting included)', () =>
      givenBilling([
        {
          type: 'BillingSettingsChanged',
          data: { tenantId, timeZone: 'Asia/Kolkata', changedAt: now.toISOString() },
        },
      ])
        .when(settings({ timeZone: 'Asia/Kolkata', overQuota: 'refuse' }))
        .thenNothing());

    it('should keep the setting when only the time zone changes', () =>
      givenBilling([
        {
          type: 'BillingSettingsChanged',
          data: { tenantId, timeZone: 'UTC', overQuota: 'pause', changedAt: now.toISOString() },
        },
        {
          type: 'BillingSettingsChanged',
          data: { tenantId, timeZone: 'Europe/Paris', changedAt: now.toISOString() },
        },
      ])
        .when(settings({ timeZone: 'Europe/Paris', overQuota: 'pause' }))
        .thenNothing());

    it('should record nothing when it is already so', () =>
      givenBilling([])
        .when(settings({ overQuota: 'refuse' }))
        .thenNothing());

    it('should refuse anything but refuse or pause', () =>
      givenBilling([])
        .when(settings({ overQuota: 'stop' as never }))
        .thenThrows(BillingError, withCode('INVALID_BILLING_SETTINGS')));
  });

  it('should name its stream billing-<tenant id>', () =>
    expect(toBillingStreamId(tenantId)).toBe(`billing-${tenantId}`));

  it('should map quota and payment refusals to CONFLICT and bad input to BAD_USER_INPUT', () => {
    expect(billingErrorKinds.MONTHLY_QUOTA_EXCEEDED).toBe('CONFLICT');
    expect(billingErrorKinds.PAYMENT_PAST_DUE).toBe('CONFLICT');
    expect(billingErrorKinds.INVALID_PLAN).toBe('BAD_USER_INPUT');
    expect(billingErrorKinds.PLAN_NOT_FOUND).toBe('BAD_USER_INPUT');
  });
});

describe('Quotas', () => {
  const plan = aPlan({ monthlyMessageQuota: 100, maxContacts: 50 });

  describe('Given 60 messages launched this month', () => {
    it('should let an audience of 40 launch', () =>
      expect(() =>
        assertWithinMonthlyQuota({ plan, used: 60, audience: 40, month: '2025-01' }),
      ).not.toThrow());

    it('should refuse an audience of 41 with the counts: MONTHLY_QUOTA_EXCEEDED', () => {
      const refused = catchError(() =>
        assertWithinMonthlyQuota({ plan, used: 60, audience: 41, month: '2025-01' }),
      );
      expect(refused).toBeInstanceOf(BillingError);
      expect(refused).toMatchObject({
        code: 'MONTHLY_QUOTA_EXCEEDED',
        details: { quota: 100, used: 60, left: 40, audience: 41, month: '2025-01' },
      });
    });

    it('should never limit an unlimited plan', () =>
      expect(() =>
        assertWithinMonthlyQuota({
          plan: aPlan({ monthlyMessageQuota: null }),
          used: 1e9,
          audience: 1e6,
          month: '2025-01',
        }),
      ).not.toThrow());
  });

  describe('Given 60 of 100 messages launched this month, launching to 50', () => {
    const allowance = (overQuota: 'refuse' | 'pause', audience = 50) =>
      monthlySendAllowance({ plan, used: 60, audience, month: '2025-01', overQuota });

    it('should allow the 40 left with pause', () => expect(allowance('pause')).toBe(40));

    it('should refuse with refuse: MONTHLY_QUOTA_EXCEEDED', () =>
      expect(catchError(() => allowance('refuse'))).toMatchObject({
        code: 'MONTHLY_QUOTA_EXCEEDED',
      }));

    it('should not limit an audience within what is left', () =>
      expect(allowance('pause', 40)).toBeNull());

    it('should allow 0 once the quota is used up', () =>
      expect(
        monthlySendAllowance({
          plan,
          used: 100,
          audience: 5,
          month: '2025-01',
          overQuota: 'pause',
        }),
      ).toBe(0));
  });

  describe('Given 45 contacts', () => {
    it('should refuse adding 6 more with the counts: CONTACT_LIMIT_EXCEEDED', () =>
      expect(
        catchError(() => assertContactCapacity({ plan, contacts: 45, adding: 6 })),
      ).toMatchObject({
        code: 'CONTACT_LIMIT_EXCEEDED',
        details: { limit: 50, contacts: 45, adding: 6, room: 5 },
      }));

    it('should let 5 more in', () =>
      expect(() => assertContactCapacity({ plan, contacts: 45, adding: 5 })).not.toThrow());
  });

  describe('Given payment past due since January 1st with a grace period of 14 days', () => {
    const payment = {
      status: 'past_due' as const,
      since: '2025-01-01T00:00:00.000Z',
      graceDays: 14,
    };

    it('should still let campaigns launch inside the grace period', () =>
      expect(() =>
        assertPaymentAllowsLaunch(payment, daysAfter(new Date(payment.since), 14)),
      ).not.toThrow());

    it('should refuse launches after it: PAYMENT_PAST_DUE', () =>
      expect(
        catchError(() =>
          assertPaymentAllowsLaunch(payment, daysAfter(new Date(payment.since), 15)),
        ),
      ).toMatchObject({
        code: 'PAYMENT_PAST_DUE',
        details: { graceEndsAt: '2025-01-15T00:00:00.000Z' },
      }));

    it('should let them launch again once payment is active', () =>
      expect(() =>
        assertPaymentAllowsLaunch(
          { ...payment, status: 'active', since: '2025-02-01T00:00:00.000Z' },
          new Date('2025-02-02T00:00:00Z'),
        ),
      ).not.toThrow());

    it('should tell when the grace period ends', () =>
      expect(graceEndsAt(payment)?.toISOString()).toBe('2025-01-15T00:00:00.000Z'));

    it('should refuse launches at once when the subscription is cancelled', () =>
      expect(
        catchError(() =>
          assertPaymentAllowsLaunch({ ...payment, status: 'cancelled' }, new Date(payment.since)),
        ),
      ).toMatchObject({ code: 'SUBSCRIPTION_CANCELLED' }));
  });
});

describe('Billing months', () => {
  describe('Given the fixed instant 2025-01-31T23:30Z', () => {
    const instant = new Date('2025-01-31T23:30:00Z');

    it('should be January in UTC and in New York, February in Paris', () => {
      expect(billingMonthOf(instant, 'UTC')).toBe('2025-01');
      expect(billingMonthOf(instant, 'America/New_York')).toBe('2025-01');
      expect(billingMonthOf(instant, 'Europe/Paris')).toBe('2025-02');
    });

    it('should reset the counters at the zone’s next midnight of the 1st', () => {
      expect(nextBillingMonthStart(instant, 'UTC').toISOString()).toBe('2025-02-01T00:00:00.000Z');
      expect(nextBillingMonthStart(instant, 'Europe/Paris').toISOString()).toBe(
        '2025-02-28T23:00:00.000Z',
      );
      expect(nextBillingMonthStart(instant, 'Asia/Kathmandu').toISOString()).toBe(
        '2025-02-28T18:15:00.000Z',
      );
    });

    it('should roll over at December into the next year', () =>
      expect(nextBillingMonthStart(new Date('2025-12-15T00:00:00Z'), 'UTC').toISOString()).toBe(
        '2026-01-01T00:00:00.000Z',
      ));
  });

  it('should know IANA zones and refuse others', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Nowhere/Else')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('Tenant API keys under a plan limit', () => {
  const tenantId = anId();
  const keys = [anId(), anId()];
  const created = aTenantCreated({ tenantId });
  const issued = keys.map((keyId) => anApiKeyIssued({ tenantId, keyId }));

  it('should refuse a key past the limit: API_KEY_LIMIT_REACHED', () =>
    givenTenant([created, ...issued])
      .when(anIssueApiKey({ tenantId, maxApiKeys: 2 }))
      .thenThrows(TenantError, (e) => e.code === 'API_KEY_LIMIT_REACHED'));

  it('should not count revoked keys', () =>
    givenTenant([created, ...issued, anApiKeyRevoked({ tenantId, keyId: keys[0]! })])
      .when(anIssueApiKey({ tenantId, maxApiKeys: 2 }))
      .thenStateMatches({ status: 'Active' }));

  it('should issue without a limit', () =>
    givenTenant([created, ...issued])
      .when(anIssueApiKey({ tenantId, maxApiKeys: null }))
      .thenStateMatches({ status: 'Active' }));

  it('should create a tenant only on a plan of the catalogue it is given', () =>
    givenTenant([])
      .when({
        type: 'CreateTenant',
        data: { tenantId, name: 'Acme', plan: 'team', availablePlans: ['free', 'team'] },
        metadata: { now: aNow() },
      })
      .thenStateMatches({ status: 'Active', plan: 'team' }));

  it('should refuse a plan not in the catalogue it is given: INVALID_PLAN', () =>
    givenTenant([])
      .when({
        type: 'CreateTenant',
        data: { tenantId, name: 'Acme', plan: 'pro', availablePlans: ['free'] },
        metadata: { now: aNow() },
      })
      .thenThrows(TenantError, (e) => e.code === 'INVALID_PLAN'));
});

const catchError = (fn: () => void): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};
