import {
  PRIVACY_REQUEST_EVENT_TYPES,
  PRIVACY_REQUEST_STREAM_CATEGORY,
  type PrivacyRequestEvent,
  assertNever,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { defineRowProjection } from '../core/projection.js';

export type PrivacyRequestRowStatus = 'open' | 'completed' | 'rejected';

export interface PrivacyRequestRow {
  request_id: string;
  tenant_id: string;
  kind: string;
  regulation: string;
  subject_type: string;
  subject_id: string | null;
  reference: string | null;
  status: PrivacyRequestRowStatus;
  /** Completed: what was done (`erased`, `exported`…). Rejected: the rejection reason. */
  outcome: string | null;
  received_at: string | Date;
  due_at: string | Date;
  extended: boolean;
  opened_by: string;
  closed_at: string | Date | null;
  closed_by: string | null;
  created_at: string | Date;
  updated_at: string | Date;
  last_revision: string | number;
}

const evolve = (
  row: PrivacyRequestRow | undefined,
  recorded: RecordedEvent,
): PrivacyRequestRow | null => {
  const event = recorded as unknown as PrivacyRequestEvent;
  const last_revision = recorded.revision.toString();
  switch (event.type) {
    case 'PrivacyRequestOpened': {
      const { data } = event;
      return {
        request_id: data.requestId,
        tenant_id: data.tenantId,
        kind: data.kind,
        regulation: data.regulation,
        subject_type: data.subjectType,
        subject_id: data.subjectId,
        reference: data.reference,
        status: 'open',
        outcome: null,
        received_at: data.receivedAt,
        due_at: data.dueAt,
        extended: false,
        opened_by: data.openedBy,
        closed_at: null,
        closed_by: null,
        created_at: data.openedAt,
        updated_at: data.openedAt,
        last_revision,
      };
    }
    case 'PrivacyRequestExtended':
      return row
        ? {
            ...row,
            due_at: event.data.dueAt,
            extended: true,
            updated_at: event.data.extendedAt,
            last_revision,
          }
        : null;
    case 'PrivacyRequestCompleted':
      return row
        ? {
            ...row,
            status: 'completed',
            outcome: event.data.outcome,
            closed_at: event.data.completedAt,
            closed_by: event.data.completedBy,
            updated_at: event.data.completedAt,
            last_revision,
          }
        : null;
    case 'PrivacyRequestRejected':
      return row
        ? {
            ...row,
            status: 'rejected',
            outcome: event.data.reason,
            closed_at: event.data.rejectedAt,
            closed_by: event.data.rejectedBy,
            updated_at: event.data.rejectedAt,
            last_revision,
          }
        : null;
    default:
      return assertNever(event);
  }
};

/** `privacy_requests`: each tenant's data-subject requests, their status and deadlines. */
export const privacyRequestsProjection = defineRowProjection<PrivacyRequestRow>({
  name: 'privacy-requests',
  table: 'privacy_requests',
  keyColumn: 'request_id',
  filter: {
    categories: [PRIVACY_REQUEST_STREAM_CATEGORY],
    eventTypes: [...PRIVACY_REQUEST_EVENT_TYPES],
  },
  keyOf: (event) => (event.data as { requestId?: string }).requestId,
  evolve,
});
