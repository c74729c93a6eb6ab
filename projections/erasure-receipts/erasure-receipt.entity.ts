import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { ErasureReceipt } from '#privacy';

/** Read model `erasure_receipts`: the receipt of every erasure. No personal data. */
@Entity({ name: 'erasure_receipts' })
export class ErasureReceiptEntity {
  @PrimaryColumn({ name: 'recipient_id', type: 'uuid' })
  recipientId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId: string;

  @Column({ name: 'erased_at', type: 'timestamptz' })
  erasedAt: Date;

  @Column({ type: 'jsonb' })
  receipt: ErasureReceipt;

  @Column({ name: 'receipt_hash', type: 'text' })
  receiptHash: string;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
