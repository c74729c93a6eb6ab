import { createHash } from 'node:crypto';

/**
 * What an erasure hands back to support staff and auditors: no personal data, only ids, times,
 * the legal basis and what became unreadable or was removed. The same erasure always gives the
 * same receipt (it is derived from the `RecipientErased` event alone), and `receiptHash` lets an
 * auditor check that a receipt someone kept was not altered.
 */
/** The facts of an erasure, as the `RecipientErased` event records them. */
export interface ErasureFacts {
  recipientId: string;
  tenantId: string;
  requestId: string;
  basis: string;
  requestedBy: string;
  reference: string | null;
  erasedAt: string;
  historyEvents: number;
  membershipsRemoved: number;
}

export interface ErasureReceipt {
  requestId: string;
  tenantId: string;
  subjectId: string;
  erasedAt: string;
  basis: string;
  requestedBy: string;
  reference: string | null;
  removed: {
    /** The subject's data key was destroyed: every personal field of these events reads `[erased]`. */
    dataKeyDestroyed: true;
    historyEventsMadeUnreadable: number;
    /** Read-model rows purged of the subject's data. */
    readModels: readonly string[];
    listMembershipsRemoved: number;
  };
  /** The address stays on the tenant's suppression list as a keyed HMAC, never in clear. */
  suppression: 'erased';
  receiptHash: string;
}

export const ERASURE_PURGED_READ_MODELS = ['recipients', 'recipient_memberships'] as const;

/** Canonical JSON: object keys sorted at every level, so the hash does not depend on key order. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

export const erasureReceiptOf = (erased: ErasureFacts): ErasureReceipt => {
  const body: Omit<ErasureReceipt, 'receiptHash'> = {
    requestId: erased.requestId,
    tenantId: erased.tenantId,
    subjectId: erased.recipientId,
    erasedAt: erased.erasedAt,
    basis: erased.basis,
    requestedBy: erased.requestedBy,
    reference: erased.reference,
    removed: {
      dataKeyDestroyed: true,
      historyEventsMadeUnreadable: erased.historyEvents,
      readModels: ERASURE_PURGED_READ_MODELS,
      listMembershipsRemoved: erased.membershipsRemoved,
    },
    suppression: 'erased',
  };
  return { ...body, receiptHash: createHash('sha256').update(canonicalJson(body)).digest('hex') };
};

/** True when the receipt's hash matches its content. */
export const isErasureReceiptIntact = (receipt: ErasureReceipt): boolean => {
  const { receiptHash, ...body } = receipt;
  return createHash('sha256').update(canonicalJson(body)).digest('hex') === receiptHash;
};
