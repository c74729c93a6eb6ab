import type { Event } from '../core/decider.js';

/** Where a recipient's consent to a list came from. */
export type ConsentSource = 'import' | 'api' | 'form';

/** Free-form recipient attributes (personal data: encrypted with the recipient's key). */
export type RecipientAttributes = Readonly<Record<string, string | number | boolean | null>>;

/** Evidence of consent, kept with the subscription. `ipAddress` is personal data (encrypted). */
export interface ConsentEvidence {
  source: ConsentSource;
  /** When the person gave consent (may precede the event, e.g. for an import). ISO-8601. */
  collectedAt: string;
  ipAddress?: string;
}

/** Legal basis of an erasure. `retention` and `child` are erasures MailPackr starts itself. */
export type ErasureBasis =
  'gdpr_art17' | 'ccpa_delete' | 'tenant_request' | 'child_under_13' | 'retention';

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type RecipientAdded = Event<
  'RecipientAdded',
  {
    recipientId: string;
    tenantId: string;
    email: string;
    /** Keyed HMAC of the email's identity key (never the address): lookup and suppression. */
    emailIndex: string;
    name: string | null;
    attributes: RecipientAttributes;
    source: ConsentSource;
    addedAt: string;
    /**
     * Lists the recipient joined on being added, all on `consent`: one event rather than
     * `RecipientAdded` plus a `RecipientSubscribed` per list (what an import writes per row).
     * Absent or empty: added to no list.
     */
    listIds?: string[];
    consent?: ConsentEvidence;
  }
>;

export type RecipientCorrected = Event<
  'RecipientCorrected',
  {
    recipientId: string;
    tenantId: string;
    email?: string;
    emailIndex?: string;
    name?: string | null;
    attributes?: RecipientAttributes;
    correctedAt: string;
  }
>;

export type RecipientSubscribed = Event<
  'RecipientSubscribed',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    consent: ConsentEvidence;
    subscribedAt: string;
  }
>;

export type OptInRequested = Event<
  'OptInRequested',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    requestId: string;
    consent: ConsentEvidence;
    requestedAt: string;
    expiresAt: string;
  }
>;

export type OptInConfirmed = Event<
  'OptInConfirmed',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    requestId: string;
    confirmedAt: string;
    ipAddress?: string;
  }
>;

export type RecipientUnsubscribed = Event<
  'RecipientUnsubscribed',
  {
    recipientId: string;
    tenantId: string;
    /** null: from every list, and the address is suppressed for the tenant. */
    listId: string | null;
    channel: 'api' | 'one_click' | 'support' | 'mailto';
    /** The message whose link or reply carried the request, for the campaign's counts. */
    messageId?: string | null;
    /** The recipient's keyed email index, for the suppression list when `listId` is null. */
    emailIndex: string;
    unsubscribedAt: string;
  }
>;

export type RecipientRestricted = Event<
  'RecipientRestricted',
  { recipientId: string; tenantId: string; requestId: string; restrictedAt: string }
>;

export type RecipientRestrictionLifted = Event<
  'RecipientRestrictionLifted',
  { recipientId: string; tenantId: string; requestId: string; liftedAt: string }
>;

export type RecipientObjected = Event<
  'RecipientObjected',
  { recipientId: string; tenantId: string; requestId: string; objectedAt: string }
>;

/** No personal data: who asked, when, why, and what became unreadable. */
export type RecipientErased = Event<
  'RecipientErased',
  {
    recipientId: string;
    tenantId: string;
    requestId: string;
    basis: ErasureBasis;
    /** Actor id of whoever ran the erasure (an API key id, `operator:cli`, `system:retention`). */
    requestedBy: string;
    /** The tenant's or support's own reference for the request, e.g. a ticket number. */
    reference: string | null;
    erasedAt: string;
    /** Keeps "never mail this address again" after the key is gone. */
    emailIndex: string;
    /** Events of this recipient kept in the history, every personal field in them now unreadable. */
    historyEvents: number;
    membershipsRemoved: number;
  }
>;

export type RecipientEvent =
  | RecipientAdded
  | RecipientCorrected
  | RecipientSubscribed
  | OptInRequested
  | OptInConfirmed
  | RecipientUnsubscribed
  | RecipientRestricted
  | RecipientRestrictionLifted
  | RecipientObjected
  | RecipientErased;

export type RecipientEventType = RecipientEvent['type'];

const recipientEventTypes = {
  RecipientAdded: true,
  RecipientCorrected: true,
  RecipientSubscribed: true,
  OptInRequested: true,
  OptInConfirmed: true,
  RecipientUnsubscribed: true,
  RecipientRestricted: true,
  RecipientRestrictionLifted: true,
  RecipientObjected: true,
  RecipientErased: true,
} satisfies Record<RecipientEventType, true>;

/** Every recipient event type, e.g. for a subscription filter. */
export const RECIPIENT_EVENT_TYPES = Object.keys(
  recipientEventTypes,
) as readonly RecipientEventType[];

export const isRecipientEventType = (type: string): type is RecipientEventType =>
  Object.hasOwn(recipientEventTypes, type);
