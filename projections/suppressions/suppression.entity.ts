import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { SuppressionReason } from './suppressions.projection.js';

/** Read model `suppressions`: keyed HMACs of addresses never to be mailed again, never the address. */
@Entity({ name: 'suppressions' })
export class SuppressionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ name: 'email_index', type: 'text' })
  emailIndex: string;

  @Column({ type: 'text' })
  reason: SuppressionReason;

  @Column({ name: 'reason_rank', type: 'int' })
  reasonRank: number;

  @Column({ name: 'recipient_id', type: 'uuid', nullable: true })
  recipientId: string | null;

  @Column({ name: 'suppressed_at', type: 'timestamptz' })
  suppressedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
