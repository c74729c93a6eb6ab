import { createHash } from 'node:crypto';

import {
  checkEmail,
  type AddRecipient,
  type ConfirmOptIn,
  type ConsentEvidence,
  type CorrectRecipient,
  type EmailInput,
  type EraseRecipient,
  type ImportRecipient,
  type LiftRestriction,
  type Membership,
  type ObjectToProcessing,
  type OptInConfirmed,
  type OptInRequested,
  type RecipientAdded,
  type RecipientCorrected,
  type RecipientErased,
  type RecipientObjected,
  type RecipientRestricted,
  type RecipientRestrictionLifted,
  type RecipientSubscribed,
  type RecipientUnsubscribed,
  type RequestOptIn,
  type RestrictRecipient,
  type SubscribeRecipient,
  type UnsubscribeRecipient,
} from '#domain';

import { aNow, anId, daysAfter } from './common.builders.js';

/**
 * The tenant of recipients built without one. Fresh for each test file (Jest loads modules per
 * file), and shared inside it so that `aRecipientAdded({ recipientId })` and
 * `aSubscribeRecipient({ recipientId })` belong to the same tenant without saying so.
 */
export const defaultRecipientTenantId = anId();

export const defaultRecipientEmail = 'ada.lovelace@example.com';

/**
 * TEST STAND-IN for the keyed email index. The real index is an HMAC of the email's identity key
 * with a secret the domain never sees; here it is a plain, unkeyed SHA-256 of that key (the
 * address `checkEmail` would store, lower-cased), so that it has the right shape (64 hex), is
 * deterministic, and is the same for two spellings of one address. Never use it outside tests.
 */
export const aFakeEmailIndex = (address: string): string => {
  const checked = checkEmail(address);
  const key = checked.ok ? checked.email.key : address.trim().toLowerCase();
  return createHash('sha256').update(key).digest('hex');
};

/** An email as a command carries it: the address and its (fake) keyed index. */
export const anEmailInput = (address = defaultRecipientEmail): EmailInput => ({
  address,
  index: aFakeEmailIndex(address),
});

export const aConsent = (overrides: Partial<ConsentEvidence> = {}): ConsentEvidence => ({
  source: 'form',
  collectedAt: aNow().toISOString(),
  ...overrides,
});

/** A membership as the state holds it: subscribed through the API, now. */
export const aMembership = (overrides: Partial<Membership> = {}): Membership => ({
  status: 'subscribed',
  consent: aConsent({ source: 'api' }),
  since: aNow().toISOString(),
  ...overrides,
});

type WithNow = { now?: Date };

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const anAddRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<AddRecipient['data']> & WithNow = {}): AddRecipient => ({
  type: 'AddRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    email: anEmailInput(),
    name: 'Ada Lovelace',
    attributes: {},
    source: 'api',
    ...overrides,
  },
  metadata: { now },
});

export const anImportRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<ImportRecipient['data']> & WithNow = {}): ImportRecipient => ({
  type: 'ImportRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    email: anEmailInput(),
    name: 'Ada Lovelace',
    attributes: {},
    listId: anId(),
    ...overrides,
  },
  metadata: { now },
});

export const aCorrectRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<CorrectRecipient['data']> & WithNow = {}): CorrectRecipient => ({
  type: 'CorrectRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    name: 'Augusta Ada King',
    ...overrides,
  },
  metadata: { now },
});

export const aSubscribeRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<SubscribeRecipient['data']> & WithNow = {}): SubscribeRecipient => ({
  type: 'SubscribeRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    consent: aConsent({ source: 'api', collectedAt: now.toISOString() }),
    ...overrides,
  },
  metadata: { now },
});

export const aRequestOptIn = ({
  now = aNow(),
  ...overrides
}: Partial<RequestOptIn['data']> & WithNow = {}): RequestOptIn => ({
  type: 'RequestOptIn',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    requestId: anId(),
    consent: aConsent({ source: 'form', collectedAt: now.toISOString() }),
    expiresAt: daysAfter(now, 7),
    ...overrides,
  },
  metadata: { now },
});

export const aConfirmOptIn = ({
  now = aNow(),
  ...overrides
}: Partial<ConfirmOptIn['data']> & WithNow = {}): ConfirmOptIn => ({
  type: 'ConfirmOptIn',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    requestId: anId(),
    ...overrides,
  },
  metadata: { now },
});

export const anUnsubscribeRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<UnsubscribeRecipient['data']> & WithNow = {}): UnsubscribeRecipient => ({
  type: 'UnsubscribeRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    channel: 'one_click',
    ...overrides,
  },
  metadata: { now },
});

export const aRestrictRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<RestrictRecipient['data']> & WithNow = {}): RestrictRecipient => ({
  type: 'RestrictRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    ...overrides,
  },
  metadata: { now },
});

export const aLiftRestriction = ({
  now = aNow(),
  ...overrides
}: Partial<LiftRestriction['data']> & WithNow = {}): LiftRestriction => ({
  type: 'LiftRestriction',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    ...overrides,
  },
  metadata: { now },
});

export const anObjectToProcessing = ({
  now = aNow(),
  ...overrides
}: Partial<ObjectToProcessing['data']> & WithNow = {}): ObjectToProcessing => ({
  type: 'ObjectToProcessing',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    ...overrides,
  },
  metadata: { now },
});

export const anEraseRecipient = ({
  now = aNow(),
  ...overrides
}: Partial<EraseRecipient['data']> & WithNow = {}): EraseRecipient => ({
  type: 'EraseRecipient',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    basis: 'gdpr_art17',
    requestedBy: 'operator:cli',
    reference: 'TICKET-4711',
    ...overrides,
  },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

/** The index follows the email unless given: `aRecipientAdded({ email })` stays consistent. */
export const aRecipientAdded = (
  overrides: Partial<RecipientAdded['data']> = {},
): RecipientAdded => ({
  type: 'RecipientAdded',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    email: defaultRecipientEmail,
    emailIndex: aFakeEmailIndex(overrides.email ?? defaultRecipientEmail),
    name: 'Ada Lovelace',
    attributes: {},
    source: 'api',
    addedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientCorrected = (
  overrides: Partial<RecipientCorrected['data']> = {},
): RecipientCorrected => ({
  type: 'RecipientCorrected',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    correctedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientSubscribed = (
  overrides: Partial<RecipientSubscribed['data']> = {},
): RecipientSubscribed => ({
  type: 'RecipientSubscribed',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    consent: aConsent({ source: 'api' }),
    subscribedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const anOptInRequested = (
  overrides: Partial<OptInRequested['data']> = {},
): OptInRequested => ({
  type: 'OptInRequested',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    requestId: anId(),
    consent: aConsent({ source: 'form' }),
    requestedAt: aNow().toISOString(),
    expiresAt: daysAfter(aNow(), 7).toISOString(),
    ...overrides,
  },
});

export const anOptInConfirmed = (
  overrides: Partial<OptInConfirmed['data']> = {},
): OptInConfirmed => ({
  type: 'OptInConfirmed',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    requestId: anId(),
    confirmedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientUnsubscribed = (
  overrides: Partial<RecipientUnsubscribed['data']> = {},
): RecipientUnsubscribed => ({
  type: 'RecipientUnsubscribed',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    listId: anId(),
    channel: 'one_click',
    emailIndex: aFakeEmailIndex(defaultRecipientEmail),
    unsubscribedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientRestricted = (
  overrides: Partial<RecipientRestricted['data']> = {},
): RecipientRestricted => ({
  type: 'RecipientRestricted',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    restrictedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientRestrictionLifted = (
  overrides: Partial<RecipientRestrictionLifted['data']> = {},
): RecipientRestrictionLifted => ({
  type: 'RecipientRestrictionLifted',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    liftedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientObjected = (
  overrides: Partial<RecipientObjected['data']> = {},
): RecipientObjected => ({
  type: 'RecipientObjected',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    objectedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aRecipientErased = (
  overrides: Partial<RecipientErased['data']> = {},
): RecipientErased => ({
  type: 'RecipientErased',
  data: {
    recipientId: anId(),
    tenantId: defaultRecipientTenantId,
    requestId: anId(),
    basis: 'gdpr_art17',
    requestedBy: 'operator:cli',
    reference: 'TICKET-4711',
    erasedAt: aNow().toISOString(),
    emailIndex: aFakeEmailIndex(defaultRecipientEmail),
    historyEvents: 2,
    membershipsRemoved: 0,
    ...overrides,
  },
});
