import { assertNever } from '../core/assert-never.js';

import type { TemplateContent, TemplateEvent } from './template.events.js';

type Identity = Readonly<{ templateId: string; tenantId: string }>;

export type Template =
  | Readonly<{ status: 'Empty' }>
  | (Identity & TemplateContent & Readonly<{ status: 'Active'; revision: number }>)
  | (Identity & Readonly<{ status: 'Deleted'; revision: number; deletedAt: string }>);

export type TemplateStatus = Template['status'];

export const initialTemplateState = (): Template => ({ status: 'Empty' });

const contentOf = (data: TemplateContent): TemplateContent => ({
  name: data.name,
  mjml: data.mjml,
  html: data.html,
  mergeFields: data.mergeFields,
});

/** Events are facts: an event that cannot apply to the state (a broken stream) leaves it as is. */
export const evolveTemplate = (state: Template, event: TemplateEvent): Template => {
  switch (event.type) {
    case 'TemplateCreated': {
      if (state.status !== 'Empty') return state;
      const { data } = event;
      return {
        status: 'Active',
        templateId: data.templateId,
        tenantId: data.tenantId,
        revision: data.revision,
        ...contentOf(data),
      };
    }
    case 'TemplateRevised':
      return state.status === 'Active'
        ? { ...state, revision: event.data.revision, ...contentOf(event.data) }
        : state;
    case 'TemplateDeleted':
      return state.status === 'Active'
        ? {
            status: 'Deleted',
            templateId: state.templateId,
            tenantId: state.tenantId,
            revision: state.revision,
            deletedAt: event.data.deletedAt,
          }
        : state;
    default:
      return assertNever(event, 'Unknown template event');
  }
};
