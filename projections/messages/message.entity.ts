import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { MessageRowStatus } from './messages.projection.js';

/** Read model `messages`: one row per message (recipient × campaign). Ids only, no address. */
@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId: string;

  @Column({ name: 'recipient_id', type: 'uuid' })
  recipientId: string;

  @Column({ name: 'list_id', type: 'uuid' })
  listId: string;

  @Column({ type: 'text' })
  status: MessageRowStatus;

  /** SMTP attempts started (claims). */
  @Column({ type: 'integer' })
  attempts: number;

  /** The last SMTP reply (addresses blanked), or the reason it failed or was cancelled. */
  @Column({ name: 'last_reply', type: 'text', nullable: true })
  lastReply: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'queued_at', type: 'timestamptz' })
  queuedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** How it bounced (`hard`, `soft`, `blocked`), once it did. */
  @Column({ name: 'bounce_kind', type: 'text', nullable: true })
  bounceKind: string | null;

  /** When the recipient complained about it (ARF report or webhook). */
  @Column({ name: 'complained_at', type: 'timestamptz', nullable: true })
  complainedAt: Date | null;

  /** When the recipient unsubscribed through its link. */
  @Column({ name: 'unsubscribed_at', type: 'timestamptz', nullable: true })
  unsubscribedAt: Date | null;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}

/** Read model `campaign_delivery`: a campaign's messages counted by status, kept by the projection. */
@Entity({ name: 'campaign_delivery' })
export class CampaignDeliveryEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'uuid' })
  campaignId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'integer' }) queued: number;
  @Column({ type: 'integer' }) sending: number;
  @Column({ type: 'integer' }) sent: number;
  @Column({ type: 'integer' }) deferred: number;
  @Column({ type: 'integer' }) bounced: number;
  @Column({ type: 'integer' }) failed: number;
  @Column({ type: 'integer' }) cancelled: number;
  @Column({ name: 'bounced_hard', type: 'integer' }) bouncedHard: number;
  @Column({ name: 'bounced_soft', type: 'integer' }) bouncedSoft: number;
  @Column({ name: 'bounced_blocked', type: 'integer' }) bouncedBlocked: number;
  @Column({ type: 'integer' }) complained: number;
  @Column({ type: 'integer' }) unsubscribed: number;
}

/**
 * Read model `tenant_delivery_hourly`: per tenant and hour, messages that reached a receiving
 * server's verdict (sent or bounced at SMTP time), bounces and complaints; the automatic sending
 * pause sums a window of these rows.
 */
@Entity({ name: 'tenant_delivery_hourly' })
export class TenantDeliveryHourlyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  @Column({ type: 'integer' }) attempted: number;
  @Column({ type: 'integer' }) bounced: number;
  @Column({ type: 'integer' }) complained: number;
}
