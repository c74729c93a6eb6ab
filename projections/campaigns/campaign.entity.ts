import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { CampaignAudience } from '#domain';

import type { CampaignRowStatus } from './campaigns.projection.js';

/** Read model `campaigns`: one row per campaign, per tenant. Written only by the projection. */
@Entity({ name: 'campaigns' })
export class CampaignEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'uuid' })
  campaignId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  status: CampaignRowStatus;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'from_address', type: 'text' })
  fromAddress: string;

  @Column({ name: 'from_name', type: 'text', nullable: true })
  fromName: string | null;

  @Column({ name: 'mjml_body', type: 'text' })
  mjmlBody: string;

  @Column({ name: 'list_ids', type: 'uuid', array: true })
  listIds: string[];

  @Column({ name: 'send_at', type: 'timestamptz', nullable: true })
  sendAt: Date | null;

  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'scheduled_at', type: 'timestamptz', nullable: true })
  scheduledAt: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  /** Deleted by the tenant: content cleared, never served again. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /** The template the campaign sends, pinned to one revision; null: its own `mjmlBody`. */
  @Column({ name: 'template_id', type: 'uuid', nullable: true })
  templateId: string | null;

  @Column({ name: 'template_revision', type: 'integer', nullable: true })
  templateRevision: number | null;

  /** When the launch started (the audience was frozen); null before. */
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  audience: CampaignAudience | null;

  /** When every message of the launch was queued, and how many; null while queueing. */
  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true })
  queuedAt: Date | null;

  @Column({ name: 'queued_messages', type: 'integer', nullable: true })
  queuedMessages: number | null;

  @Column({ name: 'paused_at', type: 'timestamptz', nullable: true })
  pausedAt: Date | null;

  /** Why it is paused: `manual` (the tenant) or `quota` (the month's quota ran out). */
  @Column({ name: 'paused_reason', type: 'text', nullable: true })
  pausedReason: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  /** Stream revision of the last applied event: the campaign's `revision` in the API. */
  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
