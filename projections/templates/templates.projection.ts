import {
  TEMPLATE_EVENT_TYPES,
  TEMPLATE_STREAM_CATEGORY,
  type TemplateEvent,
  assertNever,
} from '#domain';
import type { RecordedEvent } from '#event-store';

import { defineRowProjection } from '../core/projection.js';

export interface TemplateRow {
  template_id: string;
  tenant_id: string;
  name: string;
  revision: number;
  mjml: string;
  html: string;
  merge_fields: string[];
  created_at: string | Date;
  updated_at: string | Date;
  deleted_at: string | Date | null;
  last_revision: string | number;
}

const evolve = (row: TemplateRow | undefined, recorded: RecordedEvent): TemplateRow | null => {
  const event = recorded as unknown as TemplateEvent;
  const last_revision = recorded.revision.toString();
  switch (event.type) {
    case 'TemplateCreated': {
      const d = event.data;
      return {
        template_id: d.templateId,
        tenant_id: d.tenantId,
        name: d.name,
        revision: d.revision,
        mjml: d.mjml,
        html: d.html,
        merge_fields: [...d.mergeFields],
        created_at: d.createdAt,
        updated_at: d.createdAt,
        deleted_at: null,
        last_revision,
      };
    }
    case 'TemplateRevised': {
      if (!row || row.deleted_at) return row ?? null;
      const d = event.data;
      return {
        ...row,
        name: d.name,
        revision: d.revision,
        mjml: d.mjml,
        html: d.html,
        merge_fields: [...d.mergeFields],
        updated_at: d.revisedAt,
        last_revision,
      };
    }
    case 'TemplateDeleted':
      // A tombstone without content, not a DELETE: a redelivered TemplateCreated cannot bring
      // it back. The content stays in the history, where each revision is a fact.
      if (!row) return null;
      return {
        ...row,
        name: '',
        mjml: '',
        html: '',
        merge_fields: [],
        deleted_at: event.data.deletedAt,
        updated_at: event.data.deletedAt,
        last_revision,
      };
    default:
      return assertNever(event);
  }
};

/** `templates`: the current revision of every template (MJML, compiled HTML), per tenant. */
export const templatesProjection = defineRowProjection<TemplateRow>({
  name: 'templates',
  table: 'templates',
  keyColumn: 'template_id',
  filter: { categories: [TEMPLATE_STREAM_CATEGORY], eventTypes: [...TEMPLATE_EVENT_TYPES] },
  keyOf: (event) => (event.data as { templateId?: string }).templateId,
  evolve,
});
