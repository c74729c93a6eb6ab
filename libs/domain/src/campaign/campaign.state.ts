import { assertNever } from '../core/assert-never.js';

import type { CampaignChanges, CampaignContent, CampaignEvent } from './campaign.events.js';

type Identity = Readonly<{ campaignId: string; tenantId: string }>;

export type Campaign =
  | Readonly<{ status: 'Empty' }>
  | (Identity & CampaignContent & Readonly<{ status: 'Draft' }>)
  | (Identity & CampaignContent & Readonly<{ status: 'Scheduled'; sendAt: string }>)
  | (Identity & Readonly<{ status: 'Cancelled'; cancelledAt: string }>)
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
      return state.status === 'Draft' || state.status === 'Scheduled'
        ? {
            status: 'Cancelled',
            campaignId: state.campaignId,
            tenantId: state.tenantId,
            cancelledAt: event.data.cancelledAt,
          }
        : state;
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
