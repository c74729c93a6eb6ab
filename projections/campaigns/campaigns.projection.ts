import {
  type CampaignAudience,
  type CampaignEvent,
  CAMPAIGN_EVENT_TYPES,
  CAMPAIGN_STREAM_CATEGORY,
  assertNever,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { defineRowProjection } from '../core/projection.js';

export interface CampaignRow {
  campaign_id: string;
  tenant_id: string;
  status: CampaignRowStatus;
  name: string;
  subject: string;
  from_address: string;
  from_name: string | null;
  mjml_body: string;
  list_ids: string[];
  send_at: string | Date | null;
  cancel_reason: string | null;
  created_at: string | Date;
  updated_at: string | Date;
  scheduled_at: string | Date | null;
  cancelled_at: string | Date | null;
  deleted_at: string | Date | null;
  template_id: string | null;
  template_revision: number | null;
  /** The launch: when it started, the audience it froze, and the messages once all are queued. */
  started_at: string | Date | null;
  audience: CampaignAudience | null;
  queued_at: string | Date | null;
  queued_messages: number | null;
  paused_at: string | Date | null;
  /** Why it is paused (`manual`, `quota`); null when not paused. */
  paused_reason: string | null;
  /** When every message reached its outcome (`CampaignCompleted`). */
  completed_at: string | Date | null;
  last_revision: string | number;
}

export type CampaignRowStatus =
  'DRAFT' | 'SCHEDULED' | 'SENDING' | 'PAUSED' | 'COMPLETED' | 'CANCELLED';

const evolve = (row: CampaignRow | undefined, recorded: RecordedEvent): CampaignRow | null => {
  const event = recorded as unknown as CampaignEvent & { revision: bigint };
  const revision = recorded.revision.toString();
  switch (event.type) {
    case 'CampaignDrafted': {
      const d = event.data;
      return {
        campaign_id: d.campaignId,
        tenant_id: d.tenantId,
        status: 'DRAFT',
        name: d.name,
        subject: d.subject,
        from_address: d.fromAddress,
        from_name: d.fromName,
        mjml_body: d.mjmlBody,
        list_ids: [...d.listIds],
        send_at: null,
        cancel_reason: null,
        created_at: d.draftedAt,
        updated_at: d.draftedAt,
        scheduled_at: null,
        cancelled_at: null,
        deleted_at: null,
        template_id: d.template?.templateId ?? null,
        template_revision: d.template?.revision ?? null,
        started_at: null,
        audience: null,
        queued_at: null,
        queued_messages: null,
        paused_at: null,
        paused_reason: null,
        completed_at: null,
        last_revision: revision,
      };
    }
    case 'CampaignRevised': {
      if (!row) return null;
      const c = event.data.changes;
      return {
        ...row,
        name: c.name ?? row.name,
        subject: c.subject ?? row.subject,
        from_address: c.fromAddress ?? row.from_address,
        from_name: c.fromName !== undefined ? c.fromName : row.from_name,
        mjml_body: c.mjmlBody ?? row.mjml_body,
        list_ids: c.listIds ? [...c.listIds] : row.list_ids,
        template_id: c.template !== undefined ? (c.template?.templateId ?? null) : row.template_id,
        template_revision:
          c.template !== undefined ? (c.template?.revision ?? null) : row.template_revision,
        updated_at: event.data.revisedAt,
        last_revision: revision,
      };
    }
    case 'CampaignScheduled':
      if (!row) return null;
      return {
        ...row,
        status: 'SCHEDULED',
        send_at: event.data.sendAt,
        scheduled_at: event.data.scheduledAt,
        updated_at: event.data.scheduledAt,
        last_revision: revision,
      };
    case 'CampaignCancelled':
      if (!row) return null;
      return {
        ...row,
        status: 'CANCELLED',
        cancel_reason: event.data.reason,
        cancelled_at: event.data.cancelledAt,
        updated_at: event.data.cancelledAt,
        last_revision: revision,
      };
    case 'CampaignStarted':
      if (!row) return null;
      return {
        ...row,
        status: 'SENDING',
        started_at: event.data.startedAt,
        audience: event.data.audience,
        updated_at: event.data.startedAt,
        last_revision: revision,
      };
    case 'CampaignQueued':
      if (!row) return null;
      return {
        ...row,
        queued_at: event.data.queuedAt,
        queued_messages: event.data.messages,
        updated_at: event.data.queuedAt,
        last_revision: revision,
      };
    case 'CampaignPaused':
      if (!row) return null;
      return {
        ...row,
        status: 'PAUSED',
        paused_at: event.data.pausedAt,
        paused_reason: event.data.reason ?? 'manual',
        updated_at: event.data.pausedAt,
        last_revision: revision,
      };
    case 'CampaignResumed':
      if (!row) return null;
      return {
        ...row,
        status: 'SENDING',
        paused_at: null,
        paused_reason: null,
        // Held-back members released: queueing again until the next `CampaignQueued`.
        ...((event.data.released ?? 0) > 0 ? { queued_at: null, queued_messages: null } : {}),
        updated_at: event.data.resumedAt,
        last_revision: revision,
      };
    case 'CampaignCompleted':
      if (!row) return null;
      return {
        ...row,
        status: 'COMPLETED',
        paused_at: null,
        paused_reason: null,
        completed_at: event.data.completedAt,
        updated_at: event.data.completedAt,
        last_revision: revision,
      };
    case 'CampaignDeleted':
      // A tombstone without content (policy §7): a redelivered older event cannot bring it back.
      if (!row) return null;
      return {
        ...row,
        name: '',
        subject: '',
        from_address: '',
        from_name: null,
        mjml_body: '',
        list_ids: [],
        cancel_reason: null,
        template_id: null,
        template_revision: null,
        deleted_at: event.data.deletedAt,
        updated_at: event.data.deletedAt,
        last_revision: revision,
      };
    default:
      return assertNever(event);
  }
};

/** `campaigns`: status, content, schedule and revision of every campaign, per tenant. */
export const campaignsProjection = defineRowProjection<CampaignRow>({
  name: 'campaigns',
  table: 'campaigns',
  keyColumn: 'campaign_id',
  filter: { categories: [CAMPAIGN_STREAM_CATEGORY], eventTypes: [...CAMPAIGN_EVENT_TYPES] },
  keyOf: (event) => (event.data as { campaignId?: string }).campaignId,
  evolve,
});
