import type { Command } from '../core/decider.js';
import type {
  ConsentEvidence,
  ConsentSource,
  ErasureBasis,
  RecipientAttributes,
} from './recipient.events.js';

/**
 * The email arrives checked and normalised by the caller (`checkEmail`), with its keyed index:
 * the domain cannot compute an HMAC without the key, and must not see the key.
 */
/** Consent as a caller states it; `collectedAt` defaults to the command's time. */
export type ConsentGiven = Omit<ConsentEvidence, 'collectedAt'> & { collectedAt?: string };

export interface EmailInput {
  address: string;
  index: string;
}

export type AddRecipient = Command<
  'AddRecipient',
  {
    recipientId: string;
    tenantId: string;
    email: EmailInput;
    name?: string | null;
    attributes?: RecipientAttributes;
    source: ConsentSource;
    /** Lists to subscribe to at once, with the same consent. */
    listIds?: readonly string[];
    consent?: { collectedAt?: string; ipAddress?: string };
  }
>;

/**
 * One row of an import: adds the recipient or merges the row into it (name replaced when given,
 * attributes merged), and subscribes it to the list unless it left that list or everything.
 */
export type ImportRecipient = Command<
  'ImportRecipient',
  {
    recipientId: string;
    tenantId: string;
    email: EmailInput;
    name: string | null;
    attributes: RecipientAttributes;
    listId: string;
  }
>;

export type CorrectRecipient = Command<
  'CorrectRecipient',
  {
    recipientId: string;
    tenantId: string;
    email?: EmailInput;
    name?: string | null;
    /** Replaces the attributes as a whole. */
    attributes?: RecipientAttributes;
  }
>;

export type SubscribeRecipient = Command<
  'SubscribeRecipient',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    consent: ConsentGiven;
  }
>;

export type RequestOptIn = Command<
  'RequestOptIn',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    requestId: string;
    consent: ConsentGiven;
    expiresAt: Date;
  }
>;

export type ConfirmOptIn = Command<
  'ConfirmOptIn',
  {
    recipientId: string;
    tenantId: string;
    listId: string;
    requestId: string;
    ipAddress?: string;
  }
>;

export type UnsubscribeRecipient = Command<
  'UnsubscribeRecipient',
  {
    recipientId: string;
    tenantId: string;
    /** Omit to leave every list and suppress the address. */
    listId?: string | null;
    channel: 'api' | 'one_click' | 'support' | 'mailto';
    /** The message whose link or reply carried the request (one-click and mailto), if known. */
    messageId?: string | null;
  }
>;

export type RestrictRecipient = Command<
  'RestrictRecipient',
  { recipientId: string; tenantId: string; requestId: string }
>;

export type LiftRestriction = Command<
  'LiftRestriction',
  { recipientId: string; tenantId: string; requestId: string }
>;

export type ObjectToProcessing = Command<
  'ObjectToProcessing',
  { recipientId: string; tenantId: string; requestId: string }
>;

export type EraseRecipient = Command<
  'EraseRecipient',
  {
    recipientId: string;
    tenantId: string;
    requestId: string;
    basis: ErasureBasis;
    requestedBy: string;
    reference?: string | null;
  }
>;

export type RecipientCommand =
  | AddRecipient
  | ImportRecipient
  | CorrectRecipient
  | SubscribeRecipient
  | RequestOptIn
  | ConfirmOptIn
  | UnsubscribeRecipient
  | RestrictRecipient
  | LiftRestriction
  | ObjectToProcessing
  | EraseRecipient;
