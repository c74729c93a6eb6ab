import { assertNever } from '../core/assert-never.js';
import type { Command, Decider, Event } from '../core/decider.js';
import { RecipientError } from '../recipient/recipient.errors.js';

/**
 * A tenant's manual suppression of one address ("never mail this address"), whether or not it is
 * a recipient, and its lifting. The address itself never reaches the domain: only the tenant's
 * keyed HMAC of it. One stream per address (`suppression-<id derived from the HMAC>`).
 *
 * Lifting undoes only this manual suppression. What the person did themselves (unsubscribing from
 * everything, complaining, being erased) and hard bounces are recorded elsewhere and stay.
 */
/**
 * Why an address was suppressed by this stream: by hand (`manual`, the only one `liftSuppression`
 * undoes), or by the delivery policy after a hard bounce, a complaint or repeated soft bounces.
 * Each reason has a stream of its own per address, so lifting the manual one never lifts the rest.
 */
export const ADDRESS_SUPPRESSION_REASONS = [
  'manual',
  'hard_bounce',
  'complaint',
  'soft_bounces',
] as const;
export type AddressSuppressionReason = (typeof ADDRESS_SUPPRESSION_REASONS)[number];

export type AddressSuppressed = Event<
  'AddressSuppressed',
  {
    suppressionId: string;
    tenantId: string;
    emailIndex: string;
    reason: AddressSuppressionReason;
    /** The message whose bounce or complaint caused it (delivery policy); absent for `manual`. */
    messageId?: string | null;
    /** The recipient that message went to (delivery policy); absent for `manual`. */
    recipientId?: string | null;
    suppressedAt: string;
  }
>;

export type AddressSuppressionLifted = Event<
  'AddressSuppressionLifted',
  {
    suppressionId: string;
    tenantId: string;
    emailIndex: string;
    /** Why it was lifted, e.g. a support ticket (no personal data). */
    reference: string | null;
    liftedAt: string;
  }
>;

export type SuppressionEvent = AddressSuppressed | AddressSuppressionLifted;

export type SuppressAddress = Command<
  'SuppressAddress',
  {
    suppressionId: string;
    tenantId: string;
    emailIndex: string;
    /** Default `manual`. */
    reason?: AddressSuppressionReason;
    messageId?: string | null;
    recipientId?: string | null;
  }
>;

export type LiftSuppression = Command<
  'LiftSuppression',
  { suppressionId: string; tenantId: string; emailIndex: string; reference?: string | null }
>;

export type SuppressionCommand = SuppressAddress | LiftSuppression;

export type SuppressionState =
  | Readonly<{ status: 'Empty' }>
  | Readonly<{ status: 'Suppressed'; tenantId: string; suppressedAt: string }>
  | Readonly<{ status: 'Lifted'; tenantId: string; liftedAt: string }>;

export const SUPPRESSION_STREAM_CATEGORY = 'suppression';
export const toSuppressionStreamId = (suppressionId: string): string =>
  `${SUPPRESSION_STREAM_CATEGORY}-${suppressionId}`;

export const SUPPRESSION_EVENT_TYPES: ReadonlyArray<SuppressionEvent['type']> = [
  'AddressSuppressed',
  'AddressSuppressionLifted',
];

const HEX_INDEX = /^[0-9a-f]{64}$/;
const MAX_REFERENCE = 200;

const validIndex = (emailIndex: string): string => {
  if (!HEX_INDEX.test(emailIndex)) {
    throw new RecipientError('INVALID_EMAIL', 'The email index must be a keyed HMAC (64 hex)');
  }
  return emailIndex;
};

const validReference = (reference: string | null | undefined): string | null => {
  if (reference === undefined || reference === null) return null;
  const trimmed = reference.trim();
  if (trimmed === '' || trimmed.length > MAX_REFERENCE || /[\r\n]/.test(trimmed)) {
    throw new RecipientError(
      'INVALID_REFERENCE',
      `A reference is one line of 1 to ${MAX_REFERENCE} characters`,
    );
  }
  return trimmed;
};

export const suppressionDecider: Decider<SuppressionState, SuppressionCommand, SuppressionEvent> = {
  initialState: () => ({ status: 'Empty' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'AddressSuppressed':
        return state.status === 'Suppressed'
          ? state
          : {
              status: 'Suppressed',
              tenantId: event.data.tenantId,
              suppressedAt: event.data.suppressedAt,
            };
      case 'AddressSuppressionLifted':
        return state.status === 'Suppressed'
          ? { status: 'Lifted', tenantId: event.data.tenantId, liftedAt: event.data.liftedAt }
          : state;
      default:
        return assertNever(event, 'Unknown suppression event');
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'SuppressAddress': {
        const { data, metadata } = command;
        validIndex(data.emailIndex);
        const reason = data.reason ?? 'manual';
        if (!ADDRESS_SUPPRESSION_REASONS.includes(reason)) {
          throw new RecipientError(
            'INVALID_REFERENCE',
            `A suppression reason is one of ${ADDRESS_SUPPRESSION_REASONS.join(', ')}`,
          );
        }
        if (state.status === 'Suppressed') return [];
        return [
          {
            type: 'AddressSuppressed',
            data: {
              suppressionId: data.suppressionId,
              tenantId: data.tenantId,
              emailIndex: data.emailIndex,
              reason,
              ...(reason === 'manual'
                ? {}
                : { messageId: data.messageId ?? null, recipientId: data.recipientId ?? null }),
              suppressedAt: metadata.now.toISOString(),
            },
          },
        ];
      }
      case 'LiftSuppression': {
        const { data, metadata } = command;
        validIndex(data.emailIndex);
        const reference = validReference(data.reference);
        if (state.status === 'Lifted') return []; // lifted already: nothing more to do
        if (state.status === 'Empty') {
          throw new RecipientError(
            'SUPPRESSION_NOT_FOUND',
            'This address was never suppressed by hand: nothing to lift',
          );
        }
        return [
          {
            type: 'AddressSuppressionLifted',
            data: {
              suppressionId: data.suppressionId,
              tenantId: data.tenantId,
              emailIndex: data.emailIndex,
              reference,
              liftedAt: metadata.now.toISOString(),
            },
          },
        ];
      }
      default:
        return assertNever(command, 'Unknown suppression command');
    }
  },
};
