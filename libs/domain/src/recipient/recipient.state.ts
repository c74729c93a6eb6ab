import { assertNever } from '../core/assert-never.js';
import type {
  ConsentEvidence,
  RecipientAdded,
  RecipientAttributes,
  RecipientErased,
  RecipientEvent,
} from './recipient.events.js';

export type MembershipStatus = 'pending' | 'subscribed' | 'unsubscribed';

export interface Membership {
  readonly status: MembershipStatus;
  readonly consent: ConsentEvidence;
  /** The open double opt-in request, while the membership is pending. */
  readonly optIn?: Readonly<{ requestId: string; expiresAt: string }>;
  readonly confirmedAt?: string;
  readonly since: string;
}

type Identity = Readonly<{ recipientId: string; tenantId: string }>;

export type ActiveRecipient = Identity &
  Readonly<{
    status: 'Active';
    email: string;
    emailIndex: string;
    name: string | null;
    attributes: RecipientAttributes;
    memberships: Readonly<Record<string, Membership>>;
    /** Left every list: suppressed for the tenant. */
    unsubscribedAll: boolean;
    restricted: boolean;
    objected: boolean;
    /** Events in the stream so far (what an erasure makes unreadable). */
    eventCount: number;
  }>;

export type ErasedRecipient = Identity &
  Readonly<{ status: 'Erased'; erasure: RecipientErased['data']; eventCount: number }>;

export type Recipient = Readonly<{ status: 'Empty' }> | ActiveRecipient | ErasedRecipient;

export type RecipientStatus = Recipient['status'];

export const initialRecipientState = (): Recipient => ({ status: 'Empty' });

/** Whether a campaign to `listId` may be sent to this recipient now (checked again at send time). */
export const isSendable = (state: Recipient, listId: string): boolean =>
  state.status === 'Active' &&
  !state.unsubscribedAll &&
  !state.restricted &&
  !state.objected &&
  state.memberships[listId]?.status === 'subscribed';

const withMembership = (
  state: ActiveRecipient,
  listId: string,
  membership: Membership,
): ActiveRecipient => ({
  ...state,
  memberships: { ...state.memberships, [listId]: membership },
});

/** The lists a `RecipientAdded` joined, all on its consent. */
const joinedOnAdd = ({
  listIds,
  consent,
  addedAt,
}: RecipientAdded['data']): Record<string, Membership> => {
  const memberships: Record<string, Membership> = {};
  if (!consent) return memberships;
  for (const listId of listIds ?? []) {
    memberships[listId] = { status: 'subscribed', consent, since: addedAt };
  }
  return memberships;
};

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveRecipient = (state: Recipient, event: RecipientEvent): Recipient => {
  if (state.status === 'Erased') return { ...state, eventCount: state.eventCount + 1 };
  if (state.status === 'Empty') {
    if (event.type !== 'RecipientAdded') return state;
    const { data } = event;
    return {
      status: 'Active',
      recipientId: data.recipientId,
      tenantId: data.tenantId,
      email: data.email,
      emailIndex: data.emailIndex,
      name: data.name,
      attributes: data.attributes,
      memberships: joinedOnAdd(data),
      unsubscribedAll: false,
      restricted: false,
      objected: false,
      eventCount: 1,
    };
  }
  const active: ActiveRecipient = { ...state, eventCount: state.eventCount + 1 };
  switch (event.type) {
    case 'RecipientAdded':
      return active;
    case 'RecipientCorrected': {
      const { data } = event;
      return {
        ...active,
        email: data.email ?? active.email,
        emailIndex: data.emailIndex ?? active.emailIndex,
        name: data.name !== undefined ? data.name : active.name,
        attributes: data.attributes ?? active.attributes,
      };
    }
    case 'RecipientSubscribed':
      return withMembership(active, event.data.listId, {
        status: 'subscribed',
        consent: event.data.consent,
        since: event.data.subscribedAt,
      });
    case 'OptInRequested':
      return withMembership(active, event.data.listId, {
        status: 'pending',
        consent: event.data.consent,
        optIn: { requestId: event.data.requestId, expiresAt: event.data.expiresAt },
        since: event.data.requestedAt,
      });
    case 'OptInConfirmed': {
      const membership = active.memberships[event.data.listId];
      // Only the open request it answers: never a list the person left since, nor a stale token.
      if (
        membership?.status !== 'pending' ||
        membership.optIn?.requestId !== event.data.requestId
      ) {
        return active;
      }
      return withMembership(active, event.data.listId, {
        status: 'subscribed',
        consent: membership.consent,
        confirmedAt: event.data.confirmedAt,
        since: event.data.confirmedAt,
      });
    }
    case 'RecipientUnsubscribed': {
      const { listId, unsubscribedAt } = event.data;
      const leave = (membership: Membership): Membership => ({
        ...membership,
        status: 'unsubscribed',
        optIn: undefined,
        since: unsubscribedAt,
      });
      if (listId !== null) {
        const membership = active.memberships[listId];
        return membership ? withMembership(active, listId, leave(membership)) : active;
      }
      return {
        ...active,
        unsubscribedAll: true,
        memberships: Object.fromEntries(
          Object.entries(active.memberships).map(([id, m]) => [id, leave(m)]),
        ),
      };
    }
    case 'RecipientRestricted':
      return { ...active, restricted: true };
    case 'RecipientRestrictionLifted':
      return { ...active, restricted: false };
    case 'RecipientObjected':
      return { ...active, objected: true };
    case 'RecipientErased':
      return {
        status: 'Erased',
        recipientId: active.recipientId,
        tenantId: active.tenantId,
        erasure: event.data,
        eventCount: active.eventCount,
      };
    default:
      return assertNever(event, 'Unknown recipient event');
  }
};
