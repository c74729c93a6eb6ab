import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read model `recipient_memberships`: one row per recipient and list, with its consent evidence. */
@Entity({ name: 'recipient_memberships' })
export class RecipientMembershipEntity {
  @PrimaryColumn({ name: 'recipient_id', type: 'uuid' })
  recipientId: string;

  @PrimaryColumn({ name: 'list_id', type: 'uuid' })
  listId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  status: 'pending' | 'subscribed' | 'unsubscribed';

  @Column({ name: 'consent_source', type: 'text' })
  consentSource: string;

  @Column({ name: 'consent_collected_at', type: 'timestamptz' })
  consentCollectedAt: Date;

  @Column({ name: 'consent_ip', type: 'jsonb', nullable: true })
  consentIp: unknown;

  @Column({ name: 'opt_in_request_id', type: 'uuid', nullable: true })
  optInRequestId: string | null;

  @Column({ name: 'opt_in_expires_at', type: 'timestamptz', nullable: true })
  optInExpiresAt: Date | null;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt: Date | null;

  @Column({ name: 'joined_at', type: 'timestamptz' })
  joinedAt: Date;

  @Column({ type: 'timestamptz' })
  since: Date;
}
