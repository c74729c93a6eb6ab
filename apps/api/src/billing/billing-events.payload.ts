import { PAYMENT_STATUSES, type PaymentStatus, isPlanId, isUuid } from '#domain';
import type { BillingProviderEvent } from '#platform';

export const MAX_BILLING_EVENT_ID_LENGTH = 200;
const MAX_REFERENCE_LENGTH = 200;
/** Largest invoice amount, in minor units (fits a GraphQL Int). */
const MAX_AMOUNT_MINOR = 2_000_000_000;

export type BillingPayloadCheck =
  | { ok: true; event: BillingProviderEvent; occurredAt: Date | null }
  | { ok: false; code: 'INVALID_PAYLOAD' | 'CARD_DATA_REFUSED'; message: string; path: string };

class InvalidPayload extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: 'INVALID_PAYLOAD' | 'CARD_DATA_REFUSED' = 'INVALID_PAYLOAD',
  ) {
    super(message);
  }
}

// ── Card data: never accepted, never stored, never logged ─────────────────────────────────────

/** Key names (lower-cased, letters and digits only) that carry card data. */
const CARD_KEYS = new Set([
  'pan',
  'cvc',
  'cvv',
  'cvv2',
  'cvc2',
  'csc',
  'cid',
  'securitycode',
  'expiry',
  'expirydate',
  'expiration',
  'expirationdate',
  'exp',
  'expmonth',
  'expyear',
  'expirymonth',
  'expiryyear',
  'track1',
  'track2',
  'trackdata',
  'primaryaccountnumber',
]);

/** True for a key that names card data: `card`, `cardNumber`, `card_holder`, `cvv`, `exp_month`… */
export const isCardKey = (key: string): boolean => {
  const normalised = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return normalised.includes('card') || CARD_KEYS.has(normalised);
};

/** The Luhn check digit test that every payment card number passes. */
export const passesLuhn = (digits: string): boolean => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
};

/** Runs of digits, single spaces or dashes between them, not glued to letters or digits. */
const DIGIT_RUN = /(?<![A-Za-z0-9])\d(?:[ -]?\d)*(?![A-Za-z0-9])/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How card numbers are written when grouped: 4-4-4-4(-1..3), or 4-6-5 / 4-6-4 (Amex, Diners). */
const cardGrouping = (groups: readonly string[]): boolean => {
  if (groups.length === 1) return true;
  const lengths = groups.map((g) => g.length);
  if (lengths.join('-') === '4-6-5' || lengths.join('-') === '4-6-4') return true;
  return lengths.slice(0, -1).every((l) => l === 4) && lengths.at(-1)! >= 1 && lengths.at(-1)! <= 4;
};

/**
 * True when the text holds something shaped like a card number: 13 to 19 digits, written
 * together or grouped as cards are (spaces or dashes), that pass Luhn. UUIDs are ids, never
 * card numbers; digits glued to letters (`evt_ab12…`) are parts of ids.
 */
export const looksLikeCardNumber = (text: string): boolean => {
  if (UUID.test(text)) return false;
  for (const match of text.matchAll(DIGIT_RUN)) {
    const groups = match[0].split(/[ -]/);
    const digits = groups.join('');
    if (digits.length >= 13 && digits.length <= 19 && cardGrouping(groups) && passesLuhn(digits))
      return true;
  }
  return false;
};

/**
 * The path of the first card-like field or value anywhere in the parsed body, or undefined. Keys
 * (`card`, `cardNumber`, `pan`, `cvc`, `cvv`, `expiry`…) and values (a string, or a number, that
 * holds 13 to 19 digits passing Luhn) are both looked at, however deep.
 */
export const findCardData = (value: unknown, path = '$', depth = 0): string | undefined => {
  if (depth > 20) return path;
  if (typeof value === 'string') return looksLikeCardNumber(value) ? path : undefined;
  if (typeof value === 'number') return looksLikeCardNumber(String(value)) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findCardData(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const at = `${path}.${PLAIN_KEY.test(key) ? key : '?'}`;
      if (isCardKey(key)) return at;
      const found = findCardData(child, at, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
};

// ── The documented shape ───────────────────────────────────────────────────────────────────────

/** ISO 8601 date and time with a zone (`2025-01-01T10:00:00Z`, `…+02:00`, fractions allowed). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const CONTROL = /[\u0000-\u001f\u007f]/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CURRENCY = /^[A-Z]{3}$/;

const TYPES = ['invoice.issued', 'payment_status.changed', 'subscription.plan_changed'] as const;

/**
 * Reads the body of a billing webhook call, strictly. Card data first: a body holding anything
 * card-like is refused as `CARD_DATA_REFUSED` before any other check, and the caller neither
 * stores nor logs it. Then the documented fields only (an unknown field anywhere is refused),
 * each of its type and within its limits; the first problem is reported with its path.
 */
export const parseBillingEvent = (body: unknown): BillingPayloadCheck => {
  try {
    const card = findCardData(body);
    if (card)
      throw new InvalidPayload(
        'Card data is never accepted: remove card numbers, security codes and expiry dates',
        card,
        'CARD_DATA_REFUSED',
      );
    return readEvent(body);
  } catch (error) {
    if (error instanceof InvalidPayload) {
      return { ok: false, code: error.code, message: error.message, path: error.path };
    }
    throw error;
  }
};

const readEvent = (body: unknown): BillingPayloadCheck & { ok: true } => {
  const root = object(body, '$', [
    'id',
    'type',
    'tenantId',
    'occurredAt',
    'invoice',
    'payment',
    'plan',
  ]);
  const id = text(root.id, '$.id', MAX_BILLING_EVENT_ID_LENGTH);
  const type = root.type;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type))
    throw new InvalidPayload(`type must be one of ${TYPES.join(', ')}`, '$.type');
  if (!isUuid(root.tenantId)) throw new InvalidPayload('tenantId must be a UUID', '$.tenantId');
  const tenantId = root.tenantId.toLowerCase();
  const occurredAt = optionalDate(root.occurredAt, '$.occurredAt');
  const only = (field: 'invoice' | 'payment' | 'plan') => {
    for (const other of ['invoice', 'payment', 'plan'] as const) {
      if (other !== field && root[other] !== undefined && root[other] !== null)
        throw new InvalidPayload(`${other} does not belong to a ${type} event`, `$.${other}`);
    }
  };
  switch (type as (typeof TYPES)[number]) {
    case 'invoice.issued': {
      only('invoice');
      const invoice = object(root.invoice, '$.invoice', [
        'reference',
        'amountMinor',
        'currency',
        'periodStart',
        'periodEnd',
        'issuedAt',
      ]);
      const amount = invoice.amountMinor;
      if (
        typeof amount !== 'number' ||
        !Number.isInteger(amount) ||
        amount < 0 ||
        amount > MAX_AMOUNT_MINOR
      )
        throw new InvalidPayload(
          `amountMinor must be a whole number of minor units from 0 to ${MAX_AMOUNT_MINOR}`,
          '$.invoice.amountMinor',
        );
      const currency = invoice.currency;
      if (typeof currency !== 'string' || !CURRENCY.test(currency))
        throw new InvalidPayload(
          'currency must be an ISO 4217 code (EUR, USD)',
          '$.invoice.currency',
        );
      return {
        ok: true,
        occurredAt,
        event: {
          id,
          type: 'invoice.issued',
          tenantId,
          invoice: {
            reference: text(invoice.reference, '$.invoice.reference', MAX_REFERENCE_LENGTH),
            amountMinor: amount,
            currency,
            periodStart: date(invoice.periodStart, '$.invoice.periodStart'),
            periodEnd: date(invoice.periodEnd, '$.invoice.periodEnd'),
            issuedAt: date(invoice.issuedAt, '$.invoice.issuedAt'),
          },
        },
      };
    }
    case 'payment_status.changed': {
      only('payment');
      const payment = object(root.payment, '$.payment', ['status']);
      const status = payment.status;
      if (typeof status !== 'string' || !(PAYMENT_STATUSES as readonly string[]).includes(status))
        throw new InvalidPayload(
          `status must be one of ${PAYMENT_STATUSES.join(', ')}`,
          '$.payment.status',
        );
      return {
        ok: true,
        occurredAt,
        event: { id, type: 'payment_status.changed', tenantId, status: status as PaymentStatus },
      };
    }
    case 'subscription.plan_changed': {
      only('plan');
      const plan = object(root.plan, '$.plan', ['planId']);
      if (!isPlanId(plan.planId))
        throw new InvalidPayload('planId must be a plan id of the catalogue', '$.plan.planId');
      return {
        ok: true,
        occurredAt,
        event: { id, type: 'subscription.plan_changed', tenantId, planId: plan.planId },
      };
    }
  }
};

const object = (
  value: unknown,
  path: string,
  allowed: readonly string[],
): Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidPayload('must be an object', path);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new InvalidPayload(
        `unknown field (allowed: ${allowed.join(', ')})`,
        `${path}.${PLAIN_KEY.test(key) ? key : '?'}`,
      );
  }
  return value as Record<string, unknown>;
};

const text = (value: unknown, path: string, max: number): string => {
  if (typeof value !== 'string' || value.length < 1 || value.length > max || CONTROL.test(value))
    throw new InvalidPayload(`must be 1 to ${max} characters, no control characters`, path);
  return value;
};

const date = (value: unknown, path: string): Date => {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
    throw new InvalidPayload('must be an ISO 8601 date and time with a zone', path);
  return new Date(value);
};

const optionalDate = (value: unknown, path: string): Date | null =>
  value === undefined || value === null ? null : date(value, path);
