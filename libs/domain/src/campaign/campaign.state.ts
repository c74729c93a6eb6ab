import { assertNever } from '../core/assert-never.js';

import type {
  CampaignAudience,
  CampaignChanges,
  CampaignContent,
  CampaignEvent,
  CampaignPauseReason,
} from './campaign.events.js';

type Identity = Readonly<{ campaignId: string; tenantId: string }>;

/** A launched campaign: its frozen audience, and the number of messages once all are queued. */
type Launch = Readonly<{
  sendAt: string | null;
  startedAt: string;
  audience: CampaignAudience;
  /** null while the launch (or a quota release) is still queueing messages. */
  queuedMessages: number | null;
  /** The launch had a `sendLimit`: it queues only what the quota allowed and released. */
  limited: boolean;
  /** Members of the audience held back by the month's quota (`sendLimit`), not released yet. */
  heldRecipients: number;
}>;

export type Campaign =
  | Readonly<{ status: 'Empty' }>
  | (Identity & CampaignContent & Readonly<{ status: 'Draft' }>)
  | (Identity & CampaignContent & Readonly<{ status: 'Scheduled'; sendAt: string }>)
  | (Identity & CampaignContent & Launch & Readonly<{ status: 'Sending' }>)
  | (Identity &
      CampaignContent &
      Launch &
      Readonly<{ status: 'Paused'; pausedAt: string; pausedReason: CampaignPauseReason }>)
  | (Identity & CampaignContent & Launch & Readonly<{ status: 'Completed'; completedAt: string }>)
  | (Identity & Readonly<{ status: 'Cancelled'; cancelledAt: string; startedAt?: string }>)
  | (Identity & Readonly<{ status: 'Deleted'; deletedAt: string }>);

export type CampaignStatus = Campaign['status'];

export const initialCampaignState = (): Campaign => ({ status: 'Empty' });

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveCampaign = (state: Campaign, event: CampaignEvent): Campaign => {
  switch (event.type) {
    case 'CampaignDrafted': {
      if (state.status !== 'Empty') return state;
      const { data } = event;
      return {
        status: 'Draft',
        campaignId: data.campaignId,
        tenantId: data.tenantId,
        name: data.name,
        subject: data.subject,
        fromAddress: data.fromAddress,
        fromName: data.fromName,
        mjmlBody: data.mjmlBody,
        listIds: data.listIds,
        ...(data.template ? { template: data.template } : {}),
      };
    }
    case 'CampaignRevised':
      return state.status === 'Draft' || state.status === 'Scheduled'
        ? { ...state, ...pickChanges(event.data.changes) }
        : state;
    case 'CampaignScheduled':
      return state.status === 'Draft' || state.status === 'Scheduled'
        ? { ...state, status: 'Scheduled', sendAt: event.data.sendAt }
        : state;
    case 'CampaignCancelled':
      switch (state.status) {
        case 'Draft':
        case 'Scheduled':
          return {
            status: 'Cancelled',
            campaignId: state.campaignId,
            tenantId: state.tenantId,
            cancelledAt: event.data.cancelledAt,
          };
        case 'Sending':
        case 'Paused':
          return {
            status: 'Cancelled',
            campaignId: state.campaignId,
            tenantId: state.tenantId,
            cancelledAt: event.data.cancelledAt,
            startedAt: state.startedAt,
          };
        case 'Empty':
        case 'Cancelled':
        case 'Completed':
        case 'Deleted':
          return state;
        default:
          return assertNever(state, 'Unknown campaign state');
      }
    case 'CampaignStarted': {
      if (state.status !== 'Draft' && state.status !== 'Scheduled') return state;
      const { status: _status, ...rest } = state;
      return {
        ...rest,
        status: 'Sending',
        sendAt: state.status === 'Scheduled' ? state.sendAt : null,
        startedAt: event.data.startedAt,
        audience: event.data.audience,
        queuedMessages: null,
        limited: event.data.sendLimit !== undefined,
        heldRecipients:
          event.data.sendLimit === undefined
            ? 0
            : Math.max(0, event.data.audience.recipients - event.data.sendLimit),
      };
    }
    case 'CampaignQueued':
      return state.status === 'Sending' || state.status === 'Paused'
        ? { ...state, queuedMessages: event.data.messages }
        : state;
    case 'CampaignPaused': {
      // Paused again: a pause by hand that the quota now holds (its reason changes).
      if (state.status !== 'Sending' && state.status !== 'Paused') return state;
      return {
        ...state,
        status: 'Paused',
        pausedAt: event.data.pausedAt,
        pausedReason: event.data.reason ?? 'manual',
      };
    }
    case 'CampaignResumed': {
      if (state.status !== 'Paused') return state;
      const { pausedAt: _pausedAt, pausedReason: _reason, ...rest } = state;
      const released = event.data.released ?? 0;
      if (released <= 0) return { ...rest, status: 'Sending' };
      // The released members are queued next: queueing again until `CampaignQueued`.
      return {
        ...rest,
        status: 'Sending',
        queuedMessages: null,
        heldRecipients: Math.max(0, rest.heldRecipients - released),
      };
    }
    case 'CampaignCompleted': {
      const { completedAt } = event.data;
      if (state.status === 'Sending') return { ...state, status: 'Completed', completedAt };
      if (state.status !== 'Paused') return state;
      const { pausedAt: _pausedAt, pausedReason: _reason, ...rest } = state;
      return { ...rest, status: 'Completed', completedAt };
    }
    case 'CampaignDeleted':
      return state.status === 'Empty' || state.status === 'Deleted'
        ? state
        : {
            status: 'Deleted',
            campaignId: state.campaignId,
            tenantId: state.tenantId,
            deletedAt: event.data.deletedAt,
          };
    default:
      return assertNever(event, 'Unknown campaign event');
  }
};

/** Only the known content keys, and only those present: never spread foreign fields into state. */
const pickChanges = (changes: CampaignChanges): CampaignChanges => {
  const picked: { -readonly [K in keyof CampaignContent]?: CampaignContent[K] } = {};
  if (changes.name !== undefined) picked.name = changes.name;
  if (changes.subject !== undefined) picked.subject = changes.subject;
  if (changes.fromAddress !== undefined) picked.fromAddress = changes.fromAddress;
  if (changes.fromName !== undefined) picked.fromName = changes.fromName;
  if (changes.mjmlBody !== undefined) picked.mjmlBody = changes.mjmlBody;
  if (changes.listIds !== undefined) picked.listIds = changes.listIds;
  if (changes.template !== undefined) picked.template = changes.template;
  return picked;
};
