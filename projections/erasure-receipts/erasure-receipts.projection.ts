import { type RecipientErased, RECIPIENT_STREAM_CATEGORY } from '#domain';

import { type ErasureReceipt, erasureReceiptOf } from '#privacy';

import { defineRowProjection } from '../core/projection.js';

export interface ErasureReceiptRow {
  recipient_id: string;
  tenant_id: string;
  request_id: string;
  erased_at: string | Date;
  receipt: ErasureReceipt;
  receipt_hash: string;
  last_revision: string | number;
}

/** `erasure_receipts`: one receipt per erased recipient, for support staff and auditors. No personal data. */
export const erasureReceiptsProjection = defineRowProjection<ErasureReceiptRow>({
  name: 'erasure-receipts',
  table: 'erasure_receipts',
  keyColumn: 'recipient_id',
  filter: { categories: [RECIPIENT_STREAM_CATEGORY], eventTypes: ['RecipientErased'] },
  keyOf: (event) => (event.data as { recipientId?: string }).recipientId,
  evolve: (row, recorded) => {
    if (row) return row;
    const receipt = erasureReceiptOf((recorded as unknown as RecipientErased).data);
    return {
      recipient_id: receipt.subjectId,
      tenant_id: receipt.tenantId,
      request_id: receipt.requestId,
      erased_at: receipt.erasedAt,
      receipt,
      receipt_hash: receipt.receiptHash,
      last_revision: recorded.revision.toString(),
    };
  },
});
