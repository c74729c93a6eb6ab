import { assertNever } from '../core/assert-never.js';
import type { Command, Decider, Event } from '../core/decider.js';
import { RecipientError } from '../recipient/recipient.errors.js';

/**
 * A tenant's manual suppression of one address ("never mail this address"), whether or not it is
 * a recipient. The address itself never reaches the domain: only the tenant's keyed HMAC of it.
 * One stream per address (`suppression-<id derived from the HMAC>`).
 */
export type AddressSuppressed = Event<
  'AddressSuppressed',
  {
    suppressionId: string;
    tenantId: string;
    emailIndex: string;
    reason: 'manual';
    suppressedAt: string;
  }
>;

export type SuppressAddress = Command<
  'SuppressAddress',
  { suppressionId: string; tenantId: string; emailIndex: string }
>;

export type SuppressionState =
  | Readonly<{ status: 'Empty' }>
  | Readonly<{ status: 'Suppressed'; tenantId: string; suppressedAt: string }>;

export const SUPPRESSION_STREAM_CATEGORY = 'suppression';
export const toSuppressionStreamId = (suppressionId: string): string =>
  `${SUPPRESSION_STREAM_CATEGORY}-${suppressionId}`;

const HEX_INDEX = /^[0-9a-f]{64}$/;

export const suppressionDecider: Decider<SuppressionState, SuppressAddress, AddressSuppressed> = {
  initialState: () => ({ status: 'Empty' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'AddressSuppressed':
        return state.status === 'Empty'
          ? {
              status: 'Suppressed',
              tenantId: event.data.tenantId,
              suppressedAt: event.data.suppressedAt,
            }
          : state;
      default:
        return assertNever(event.type, 'Unknown suppression event');
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'SuppressAddress': {
        const { data, metadata } = command;
        if (!HEX_INDEX.test(data.emailIndex)) {
          throw new RecipientError(
            'INVALID_EMAIL',
            'The email index must be a keyed HMAC (64 hex)',
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
              reason: 'manual',
              suppressedAt: metadata.now.toISOString(),
            },
          },
        ];
      }
      default:
        return assertNever(command.type, 'Unknown suppression command');
    }
  },
};
