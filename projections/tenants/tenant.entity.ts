import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read model `tenants`. The owner's email and name stay ciphertext here; the API decrypts them. */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  plan: string;

  @Column({ name: 'owner_account_id', type: 'uuid', nullable: true })
  ownerAccountId: string | null;

  /** Encrypted field (`{ $pii, s, c }`), never plaintext. */
  @Column({ name: 'owner_email', type: 'jsonb', nullable: true })
  ownerEmail: unknown;

  @Column({ name: 'owner_name', type: 'jsonb', nullable: true })
  ownerName: unknown;

  /** Age limits in days by retention policy kind, e.g. `{ "inactive_recipients": 365 }`. */
  @Column({ name: 'retention_policies', type: 'jsonb' })
  retentionPolicies: Record<string, number>;

  @Column({ name: 'owner_erased_at', type: 'timestamptz', nullable: true })
  ownerErasedAt: Date | null;

  /** Set while the tenant's sending is paused (automatically, or by hand). */
  @Column({ name: 'sending_paused_at', type: 'timestamptz', nullable: true })
  sendingPausedAt: Date | null;

  /** The pause's reason and, for an automatic one, the rate it saw (`TenantSendingPaused`). */
  @Column({ name: 'sending_pause', type: 'jsonb', nullable: true })
  sendingPause: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
