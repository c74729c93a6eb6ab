import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, utf8ByteLength } from '../core/validation.js';

import type {
  CreateTemplate,
  DeleteTemplate,
  ReviseTemplate,
  TemplateCommand,
} from './template.commands.js';
import { TemplateError } from './template.errors.js';
import type { TemplateContent, TemplateEvent } from './template.events.js';
import type { Template } from './template.state.js';

export const TEMPLATE_LIMITS = {
  nameMaxLength: 200,
  /** The same limit as a campaign's MJML body. */
  mjmlMaxBytes: 512 * 1024,
  /** Compiled HTML is larger than its MJML (inlined styles, tables). */
  htmlMaxBytes: 2 * 1024 * 1024,
  mergeFieldsMaxCount: 100,
  mergeFieldMaxLength: 200,
} as const;

/** The merge fields every recipient has; custom attributes are `attributes.<key>`. */
export const TEMPLATE_MERGE_FIELDS = [
  'firstName',
  'lastName',
  'name',
  'email',
  'unsubscribeUrl',
  'webViewUrl',
] as const;

export type TemplateMergeField = (typeof TEMPLATE_MERGE_FIELDS)[number];

export const ATTRIBUTE_MERGE_FIELD_PREFIX = 'attributes.';

/** `firstName`, …, or `attributes.<key>` with a non-empty key. */
export const isTemplateMergeField = (name: string): boolean =>
  (TEMPLATE_MERGE_FIELDS as readonly string[]).includes(name) ||
  (name.startsWith(ATTRIBUTE_MERGE_FIELD_PREFIX) &&
    name.length > ATTRIBUTE_MERGE_FIELD_PREFIX.length);

export const decideTemplate = (command: TemplateCommand, state: Template): TemplateEvent[] => {
  switch (command.type) {
    case 'CreateTemplate':
      return create(command, state);
    case 'ReviseTemplate':
      return revise(command, state);
    case 'DeleteTemplate':
      return remove(command, state);
    default:
      return assertNever(command, 'Unknown template command');
  }
};

const create = ({ data, metadata: { now } }: CreateTemplate, state: Template): TemplateEvent[] => {
  if (state.status !== 'Empty') throw new TemplateError('TEMPLATE_ALREADY_EXISTS');
  return [
    {
      type: 'TemplateCreated',
      data: {
        templateId: data.templateId,
        tenantId: data.tenantId,
        revision: 1,
        name: validName(data.name),
        ...validBody(data.mjml, data.html, data.mergeFields),
        createdAt: now.toISOString(),
      },
    },
  ];
};

const revise = ({ data, metadata: { now } }: ReviseTemplate, state: Template): TemplateEvent[] => {
  const template = ownedBy(state, data.tenantId);
  if (template.status === 'Deleted') {
    throw new TemplateError('TEMPLATE_DELETED', 'This template was deleted');
  }
  if (data.expectedRevision !== undefined && data.expectedRevision !== template.revision) {
    throw new TemplateError(
      'TEMPLATE_REVISION_CONFLICT',
      `The template is at revision ${template.revision}, not ${data.expectedRevision}: read it again and retry`,
      { actualRevision: template.revision },
    );
  }
  if (data.name === undefined && data.mjml === undefined) {
    throw new TemplateError('INVALID_TEMPLATE_CHANGES', 'Give a new name, new MJML, or both');
  }
  if (data.mjml === undefined && (data.html !== undefined || data.mergeFields !== undefined)) {
    throw new TemplateError('INVALID_TEMPLATE', 'HTML and merge fields come only with their MJML');
  }
  const name = data.name === undefined ? template.name : validName(data.name);
  const body =
    data.mjml === undefined
      ? { mjml: template.mjml, html: template.html, mergeFields: template.mergeFields }
      : validBody(data.mjml, data.html, data.mergeFields);
  // The MJML is the content; its HTML only follows from it.
  if (name === template.name && body.mjml === template.mjml) return [];
  return [
    {
      type: 'TemplateRevised',
      data: {
        templateId: template.templateId,
        tenantId: template.tenantId,
        revision: template.revision + 1,
        name,
        ...body,
        revisedAt: now.toISOString(),
      },
    },
  ];
};

const remove = ({ data, metadata: { now } }: DeleteTemplate, state: Template): TemplateEvent[] => {
  const template = ownedBy(state, data.tenantId);
  if (template.status === 'Deleted') return [];
  return [
    {
      type: 'TemplateDeleted',
      data: {
        templateId: template.templateId,
        tenantId: template.tenantId,
        deletedAt: now.toISOString(),
      },
    },
  ];
};

/** A template of another tenant does not exist, as far as this tenant can tell. */
const ownedBy = (state: Template, tenantId: string): Exclude<Template, { status: 'Empty' }> => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new TemplateError('TEMPLATE_NOT_FOUND');
  }
  return state;
};

// ── Validation: each returns the normalised value or throws a typed error ──────────────────────

const validName = (name: unknown): string => {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (
    trimmed.length < 1 ||
    trimmed.length > TEMPLATE_LIMITS.nameMaxLength ||
    hasLineBreak(trimmed)
  ) {
    throw new TemplateError(
      'INVALID_TEMPLATE_NAME',
      `Template name must be 1 to ${TEMPLATE_LIMITS.nameMaxLength} characters on one line`,
    );
  }
  return trimmed;
};

const validBody = (
  mjml: unknown,
  html: unknown,
  mergeFields: unknown,
): Pick<TemplateContent, 'mjml' | 'html' | 'mergeFields'> => ({
  mjml: validMjml(mjml),
  html: validHtml(html),
  mergeFields: validMergeFields(mergeFields),
});

const validMjml = (mjml: unknown): string => {
  if (
    typeof mjml !== 'string' ||
    mjml.trim().length === 0 ||
    mjml.length > TEMPLATE_LIMITS.mjmlMaxBytes ||
    utf8ByteLength(mjml) > TEMPLATE_LIMITS.mjmlMaxBytes ||
    !mjml.includes('<mjml')
  ) {
    throw new TemplateError(
      'INVALID_TEMPLATE',
      `mjml must be an <mjml> document of at most ${TEMPLATE_LIMITS.mjmlMaxBytes} bytes`,
    );
  }
  return mjml;
};

const validHtml = (html: unknown): string => {
  if (
    typeof html !== 'string' ||
    html.trim().length === 0 ||
    html.length > TEMPLATE_LIMITS.htmlMaxBytes ||
    utf8ByteLength(html) > TEMPLATE_LIMITS.htmlMaxBytes
  ) {
    throw new TemplateError(
      'INVALID_TEMPLATE',
      `The compiled HTML must be at most ${TEMPLATE_LIMITS.htmlMaxBytes} bytes`,
    );
  }
  return html;
};

const validMergeFields = (mergeFields: unknown): readonly string[] => {
  const invalid = (why: string): never => {
    throw new TemplateError('INVALID_TEMPLATE', why);
  };
  if (!Array.isArray(mergeFields)) return invalid('mergeFields must be a list of names');
  if (mergeFields.length > TEMPLATE_LIMITS.mergeFieldsMaxCount) {
    return invalid(`A template uses at most ${TEMPLATE_LIMITS.mergeFieldsMaxCount} merge fields`);
  }
  const seen = new Set<string>();
  for (const field of mergeFields as readonly unknown[]) {
    if (
      typeof field !== 'string' ||
      field.length > TEMPLATE_LIMITS.mergeFieldMaxLength ||
      !isTemplateMergeField(field) ||
      seen.has(field)
    ) {
      return invalid(
        `Unknown or repeated merge field: ${JSON.stringify(String(field)).slice(0, 80)}`,
      );
    }
    seen.add(field);
  }
  return [...seen];
};
