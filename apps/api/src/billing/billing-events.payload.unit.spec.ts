import { randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  findCardData,
  isCardKey,
  looksLikeCardNumber,
  parseBillingEvent,
  passesLuhn,
} from './billing-events.payload.js';

const TENANT = '3f1c2a57-2c1e-4b8e-9a51-3d0c1b7e9f10';

const invoice = (overrides: Record<string, unknown> = {}) => ({
  id: 'evt_1',
  type: 'invoice.issued',
  tenantId: TENANT,
  invoice: {
    reference: 'in_2025_0001',
    amountMinor: 4900,
    currency: 'EUR',
    periodStart: '2025-01-01T00:00:00Z',
    periodEnd: '2025-02-01T00:00:00Z',
    issuedAt: '2025-01-01T00:05:00Z',
    ...overrides,
  },
});

describe('Billing webhook payload', () => {
  describe('When it is of the documented shape', () => {
    it('should read an invoice', () =>
      expect(parseBillingEvent(invoice())).toMatchObject({
        ok: true,
        event: {
          id: 'evt_1',
          type: 'invoice.issued',
          tenantId: TENANT,
          invoice: { reference: 'in_2025_0001', amountMinor: 4900, currency: 'EUR' },
        },
      }));

    it('should read a payment status change', () =>
      expect(
        parseBillingEvent({
          id: 'evt_2',
          type: 'payment_status.changed',
          tenantId: TENANT,
          occurredAt: '2025-01-02T00:00:00+01:00',
          payment: { status: 'past_due' },
        }),
      ).toMatchObject({ ok: true, event: { type: 'payment_status.changed', status: 'past_due' } }));

    it('should read a plan change', () =>
      expect(
        parseBillingEvent({
          id: 'evt_3',
          type: 'subscription.plan_changed',
          tenantId: TENANT,
          plan: { planId: 'pro' },
        }),
      ).toMatchObject({ ok: true, event: { type: 'subscription.plan_changed', planId: 'pro' } }));
  });

  describe('When it carries card data', () => {
    it.each([
      ['a card object', { ...invoice(), card: { last4: '4242' } }, '$.card'],
      ['a cardNumber field', { ...invoice(), cardNumber: 'x' }, '$.cardNumber'],
      ['a pan field', { ...invoice(), pan: 'x' }, '$.pan'],
      ['a cvc field, deep', invoice({ cvc: '123' }), '$.invoice.cvc'],
      ['a cvv field', { ...invoice(), cvv: 123 }, '$.cvv'],
      ['an expiry field', { ...invoice(), expiry: '12/29' }, '$.expiry'],
      ['an exp_month field', { ...invoice(), exp_month: 12 }, '$.exp_month'],
      ['a PAN as a reference', invoice({ reference: '4111111111111111' }), '$.invoice.reference'],
      ['a PAN with spaces', invoice({ reference: '4111 1111 1111 1111' }), '$.invoice.reference'],
      ['a PAN with dashes in an id', { ...invoice(), id: 'evt-5500-0000-0000-0004' }, '$.id'],
      ['a PAN as a number', { ...invoice(), id: 4012888888881881 }, '$.id'],
    ] as const)('should refuse %s: CARD_DATA_REFUSED, with the path only', (_, body, path) => {
      const checked = parseBillingEvent(body);
      expect(checked).toMatchObject({ ok: false, code: 'CARD_DATA_REFUSED', path });
      expect(JSON.stringify(checked)).not.toMatch(/4111|5500|4012|12\/29/);
    });

    it('should not take ids, UUIDs, dates and amounts for card numbers', () => {
      expect(findCardData(invoice())).toBeUndefined();
      expect(looksLikeCardNumber('12345678-1234-4234-9234-123456789012')).toBe(false);
      expect(looksLikeCardNumber('2025-01-01T00:00:00Z')).toBe(false);
      expect(looksLikeCardNumber('in_2025_000000000001')).toBe(false);
      expect(looksLikeCardNumber('evt_ab3d5678-1234-4567-9012-abcdefabcdef')).toBe(false);
      expect(looksLikeCardNumber('evt_4111111111111111x')).toBe(false);
      expect(looksLikeCardNumber('3782 822463 10005')).toBe(true);
    });

    it('should never take a random event id or tenant id for a card number', () => {
      for (let i = 0; i < 20_000; i++) {
        const id = randomUUID();
        expect([id, `evt_${id}`, `evt-${id}`].filter(looksLikeCardNumber)).toEqual([]);
      }
    });

    it('should check Luhn', () => {
      expect(passesLuhn('4242424242424242')).toBe(true);
      expect(passesLuhn('4242424242424241')).toBe(false);
    });

    it('should know card keys, and not company names', () => {
      expect(isCardKey('card_holder')).toBe(true);
      expect(isCardKey('CVV2')).toBe(true);
      expect(isCardKey('company')).toBe(false);
      expect(isCardKey('reference')).toBe(false);
    });
  });

  describe('When it is not of the documented shape', () => {
    it.each([
      ['not an object', [], '$'],
      ['an unknown field', { ...invoice(), note: 'hi' }, '$.note'],
      ['an unknown type', { ...invoice(), type: 'invoice.paid' }, '$.type'],
      ['no id', { ...invoice(), id: '' }, '$.id'],
      ['a tenant that is no UUID', { ...invoice(), tenantId: 'acme' }, '$.tenantId'],
      ['a negative amount', invoice({ amountMinor: -1 }), '$.invoice.amountMinor'],
      ['an absurd amount', invoice({ amountMinor: 1e15 }), '$.invoice.amountMinor'],
      ['an amount in major units', invoice({ amountMinor: 49.5 }), '$.invoice.amountMinor'],
      ['a currency in lower case', invoice({ currency: 'eur' }), '$.invoice.currency'],
      ['a date without a zone', invoice({ issuedAt: '2025-01-01T00:05:00' }), '$.invoice.issuedAt'],
      [
        'a payment on an invoice event',
        { ...invoice(), payment: { status: 'active' } },
        '$.payment',
      ],
      [
        'an unknown payment status',
        { id: 'e', type: 'payment_status.changed', tenantId: TENANT, payment: { status: 'paid' } },
        '$.payment.status',
      ],
      [
        'a plan id in capitals',
        { id: 'e', type: 'subscription.plan_changed', tenantId: TENANT, plan: { planId: 'PRO' } },
        '$.plan.planId',
      ],
    ] as const)('should refuse %s: INVALID_PAYLOAD', (_, body, path) =>
      expect(parseBillingEvent(body)).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD', path }),
    );
  });
});
