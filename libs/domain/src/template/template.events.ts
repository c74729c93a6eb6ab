import type { Event } from '../core/decider.js';

/** One revision of a template, whole: what a campaign pinned to it will send. */
export type TemplateContent = Readonly<{
  name: string;
  mjml: string;
  /** The MJML compiled to HTML (merge fields still in place), once, when the revision was saved. */
  html: string;
  mergeFields: readonly string[];
}>;

/** Dates are ISO-8601 strings so events round-trip through JSON unchanged. */
export type TemplateCreated = Event<
  'TemplateCreated',
  TemplateContent & {
    templateId: string;
    tenantId: string;
    /** Always 1: the first revision. */
    revision: number;
    createdAt: string;
  }
>;

/** A new revision, with its whole content, so a revision's content is a fact in the log. */
export type TemplateRevised = Event<
  'TemplateRevised',
  TemplateContent & { templateId: string; tenantId: string; revision: number; revisedAt: string }
>;

export type TemplateDeleted = Event<
  'TemplateDeleted',
  { templateId: string; tenantId: string; deletedAt: string }
>;

export type TemplateEvent = TemplateCreated | TemplateRevised | TemplateDeleted;

export type TemplateEventType = TemplateEvent['type'];

const templateEventTypes = {
  TemplateCreated: true,
  TemplateRevised: true,
  TemplateDeleted: true,
} satisfies Record<TemplateEventType, true>;

/** Every template event type, e.g. for a subscription filter. */
export const TEMPLATE_EVENT_TYPES = Object.keys(templateEventTypes) as readonly TemplateEventType[];

export const isTemplateEventType = (type: string): type is TemplateEventType =>
  Object.hasOwn(templateEventTypes, type);
