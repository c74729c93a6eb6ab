import type {
  CreateTemplate,
  DeleteTemplate,
  ReviseTemplate,
  TemplateCreated,
  TemplateDeleted,
  TemplateRevised,
} from '#domain';

import { aNow, anId } from './common.builders.js';

/**
 * The tenant of templates built without one. Fresh for each test file (Jest loads modules per
 * file), and shared inside it so that `aTemplateCreated({ templateId })` and
 * `aReviseTemplate({ templateId })` belong to the same tenant without saying so.
 */
export const defaultTemplateTenantId = anId();

/** A small valid MJML document with merge fields. */
export const aTemplateMjml = (text = 'Hello {{firstName}}'): string =>
  [
    '<mjml>',
    '  <mj-body>',
    '    <mj-section>',
    '      <mj-column>',
    `        <mj-text>${text}</mj-text>`,
    '      </mj-column>',
    '    </mj-section>',
    '  </mj-body>',
    '</mjml>',
  ].join('\n');

/** Stands in for compiled HTML where no compiler runs (decider and projection tests). */
export const aTemplateHtml = (text = 'Hello {{firstName}}'): string =>
  `<!doctype html><html><body><div>${text}</div></body></html>`;

type WithNow = { now?: Date };

// ── Commands ───────────────────────────────────────────────────────────────────────────────────

export const aCreateTemplate = ({
  now = aNow(),
  ...overrides
}: Partial<CreateTemplate['data']> & WithNow = {}): CreateTemplate => ({
  type: 'CreateTemplate',
  data: {
    templateId: anId(),
    tenantId: defaultTemplateTenantId,
    name: 'Monthly newsletter',
    mjml: aTemplateMjml(),
    html: aTemplateHtml(),
    mergeFields: ['firstName'],
    ...overrides,
  },
  metadata: { now },
});

export const aReviseTemplate = ({
  now = aNow(),
  ...overrides
}: Partial<ReviseTemplate['data']> & WithNow = {}): ReviseTemplate => ({
  type: 'ReviseTemplate',
  data: {
    templateId: anId(),
    tenantId: defaultTemplateTenantId,
    mjml: aTemplateMjml('Hi {{firstName}} {{lastName}}'),
    html: aTemplateHtml('Hi {{firstName}} {{lastName}}'),
    mergeFields: ['firstName', 'lastName'],
    ...overrides,
  },
  metadata: { now },
});

export const aDeleteTemplate = ({
  now = aNow(),
  ...overrides
}: Partial<DeleteTemplate['data']> & WithNow = {}): DeleteTemplate => ({
  type: 'DeleteTemplate',
  data: { templateId: anId(), tenantId: defaultTemplateTenantId, ...overrides },
  metadata: { now },
});

// ── Events ─────────────────────────────────────────────────────────────────────────────────────

export const aTemplateCreated = (
  overrides: Partial<TemplateCreated['data']> = {},
): TemplateCreated => ({
  type: 'TemplateCreated',
  data: {
    templateId: anId(),
    tenantId: defaultTemplateTenantId,
    revision: 1,
    name: 'Monthly newsletter',
    mjml: aTemplateMjml(),
    html: aTemplateHtml(),
    mergeFields: ['firstName'],
    createdAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aTemplateRevised = (
  overrides: Partial<TemplateRevised['data']> = {},
): TemplateRevised => ({
  type: 'TemplateRevised',
  data: {
    templateId: anId(),
    tenantId: defaultTemplateTenantId,
    revision: 2,
    name: 'Monthly newsletter',
    mjml: aTemplateMjml('Hi {{firstName}} {{lastName}}'),
    html: aTemplateHtml('Hi {{firstName}} {{lastName}}'),
    mergeFields: ['firstName', 'lastName'],
    revisedAt: aNow().toISOString(),
    ...overrides,
  },
});

export const aTemplateDeleted = (
  overrides: Partial<TemplateDeleted['data']> = {},
): TemplateDeleted => ({
  type: 'TemplateDeleted',
  data: {
    templateId: anId(),
    tenantId: defaultTemplateTenantId,
    deletedAt: aNow().toISOString(),
    ...overrides,
  },
});
