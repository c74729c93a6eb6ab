import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  DomainError,
  TEMPLATE_EVENT_TYPES,
  TEMPLATE_LIMITS,
  TemplateError,
  evolveAll,
  isTemplateMergeField,
  templateDecider,
  templateErrorKinds,
  toTemplateStreamId,
  type TemplateCommand,
  type TemplateErrorCode,
  type TemplateEvent,
} from '#domain';

import { aNow, anId, daysAfter } from '../../../testing/src/builders/common.builders.js';
import {
  aCreateTemplate,
  aDeleteTemplate,
  aReviseTemplate,
  aTemplateCreated,
  aTemplateDeleted,
  aTemplateHtml,
  aTemplateMjml,
  aTemplateRevised,
  defaultTemplateTenantId,
} from '../../../testing/src/builders/template.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(templateDecider);

const withCode = (code: TemplateErrorCode) => (error: TemplateError) => error.code === code;

describe('Template', () => {
  const now = aNow();
  const later = daysAfter(now, 1);
  const tenantId = defaultTemplateTenantId;
  const otherTenantId = anId();
  let templateId: string;

  beforeEach(() => {
    templateId = anId();
  });

  const created = () => aTemplateCreated({ templateId, tenantId });
  const revised = (revision = 2) => aTemplateRevised({ templateId, tenantId, revision });
  const deleted = () => aTemplateDeleted({ templateId, tenantId });

  describe('When it does not exist yet', () => {
    it('should create revision 1 with its MJML, HTML and merge fields', () =>
      given([])
        .when(
          aCreateTemplate({
            templateId,
            tenantId,
            name: '  Monthly newsletter ',
            mjml: aTemplateMjml(),
            html: aTemplateHtml(),
            mergeFields: ['firstName', 'attributes.plan'],
            now,
          }),
        )
        .then([
          {
            type: 'TemplateCreated',
            data: {
              templateId,
              tenantId,
              revision: 1,
              name: 'Monthly newsletter',
              mjml: aTemplateMjml(),
              html: aTemplateHtml(),
              mergeFields: ['firstName', 'attributes.plan'],
              createdAt: now.toISOString(),
            },
          },
        ]));

    it('should be Active at revision 1 once created', () =>
      given([])
        .when(aCreateTemplate({ templateId, tenantId }))
        .thenStateMatches({ status: 'Active', templateId, tenantId, revision: 1 }));

    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['too long', 'x'.repeat(TEMPLATE_LIMITS.nameMaxLength + 1)],
      ['on two lines', 'Monthly\nnewsletter'],
    ])('should reject a name that is %s', (_, name) =>
      given([])
        .when(aCreateTemplate({ templateId, name }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE_NAME')),
    );

    it('should accept a name of 200 characters once trimmed', () =>
      given([])
        .when(aCreateTemplate({ templateId, name: ` ${'n'.repeat(200)} ` }))
        .thenStateMatches({ status: 'Active', name: 'n'.repeat(200) }));

    it.each([
      ['empty', ''],
      ['not MJML', '<html><body>Hi</body></html>'],
      [
        'over the size limit',
        `<mjml><mj-body><mj-text>${'x'.repeat(TEMPLATE_LIMITS.mjmlMaxBytes)}</mj-text></mj-body></mjml>`,
      ],
      [
        'over the size limit in UTF-8 bytes',
        `<mjml>${'€'.repeat(Math.ceil(TEMPLATE_LIMITS.mjmlMaxBytes / 3) + 1)}</mjml>`,
      ],
    ])('should reject MJML that is %s', (_, mjml) =>
      given([])
        .when(aCreateTemplate({ templateId, mjml }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE')),
    );

    it('should take MJML right at the size limit', () => {
      const frame = '<mjml><mj-body><mj-text></mj-text></mj-body></mjml>';
      const mjml = frame.replace(
        '</mj-text>',
        `${'x'.repeat(TEMPLATE_LIMITS.mjmlMaxBytes - frame.length)}</mj-text>`,
      );
      given([])
        .when(aCreateTemplate({ templateId, mjml }))
        .thenStateMatches({ status: 'Active', mjml });
    });

    it.each([
      ['missing', undefined],
      ['blank', '  '],
    ])('should reject compiled HTML that is %s', (_, html) =>
      given([])
        .when(aCreateTemplate({ templateId, html: html as string }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE')),
    );

    it.each([
      ['unknown', ['favouriteColour']],
      ['an attribute without a key', ['attributes.']],
      ['repeated', ['firstName', 'firstName']],
      ['not a list', 'firstName'],
    ])('should reject merge fields that are %s', (_, mergeFields) =>
      given([])
        .when(aCreateTemplate({ templateId, mergeFields: mergeFields as string[] }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE')),
    );

    it('should not revise or delete what does not exist', () => {
      given([])
        .when(aReviseTemplate({ templateId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_NOT_FOUND'));
      given([])
        .when(aDeleteTemplate({ templateId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_NOT_FOUND'));
    });
  });

  describe('When it exists', () => {
    it('should refuse to create it again', () =>
      given([created()])
        .when(aCreateTemplate({ templateId, tenantId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_ALREADY_EXISTS')));

    it('should revise it into revision 2 carrying the whole new content', () =>
      given([created()])
        .when(
          aReviseTemplate({
            templateId,
            tenantId,
            mjml: aTemplateMjml('Hi {{lastName}}'),
            html: aTemplateHtml('Hi {{lastName}}'),
            mergeFields: ['lastName'],
            now: later,
          }),
        )
        .then([
          {
            type: 'TemplateRevised',
            data: {
              templateId,
              tenantId,
              revision: 2,
              name: 'Monthly newsletter',
              mjml: aTemplateMjml('Hi {{lastName}}'),
              html: aTemplateHtml('Hi {{lastName}}'),
              mergeFields: ['lastName'],
              revisedAt: later.toISOString(),
            },
          },
        ]));

    it('should rename it into a new revision that keeps its body', () =>
      given([created(), revised(2)])
        .when(
          aReviseTemplate({
            templateId,
            tenantId,
            name: ' Weekly digest ',
            mjml: undefined,
            html: undefined,
            mergeFields: undefined,
          }),
        )
        .thenStateMatches({
          status: 'Active',
          revision: 3,
          name: 'Weekly digest',
          mjml: revised().data.mjml,
          html: revised().data.html,
          mergeFields: ['firstName', 'lastName'],
        }));

    it('should do nothing when neither the name nor the MJML changes', () =>
      given([created()])
        .when(
          aReviseTemplate({
            templateId,
            tenantId,
            name: ' Monthly newsletter ',
            mjml: created().data.mjml,
            html: created().data.html,
            mergeFields: created().data.mergeFields,
          }),
        )
        .thenNothing());

    it('should accept the revision the tenant edited and refuse a stale one', () => {
      given([created(), revised(2)])
        .when(aReviseTemplate({ templateId, tenantId, name: 'Next', expectedRevision: 2 }))
        .thenStateMatches({ status: 'Active', revision: 3, name: 'Next' });
      given([created(), revised(2)])
        .when(aReviseTemplate({ templateId, tenantId, name: 'Next', expectedRevision: 1 }))
        .thenThrows(
          TemplateError,
          (e) => e.code === 'TEMPLATE_REVISION_CONFLICT' && e.details?.actualRevision === 2,
        );
    });

    it('should refuse a revision that names no change', () =>
      given([created()])
        .when(
          aReviseTemplate({
            templateId,
            tenantId,
            mjml: undefined,
            html: undefined,
            mergeFields: undefined,
          }),
        )
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE_CHANGES')));

    it('should refuse HTML that comes without its MJML', () =>
      given([created()])
        .when(aReviseTemplate({ templateId, tenantId, name: 'x', mjml: undefined }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE')));

    it('should refuse new MJML without its compiled HTML', () =>
      given([created()])
        .when(aReviseTemplate({ templateId, tenantId, html: undefined }))
        .thenThrows(TemplateError, withCode('INVALID_TEMPLATE')));

    it('should be invisible to another tenant', () => {
      given([created()])
        .when(aReviseTemplate({ templateId, tenantId: otherTenantId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_NOT_FOUND'));
      given([created()])
        .when(aDeleteTemplate({ templateId, tenantId: otherTenantId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_NOT_FOUND'));
    });

    it('should delete it, keeping the revision it reached', () =>
      given([created(), revised(2)])
        .when(aDeleteTemplate({ templateId, tenantId, now: later }))
        .then([
          {
            type: 'TemplateDeleted',
            data: { templateId, tenantId, deletedAt: later.toISOString() },
          },
        ]));
  });

  describe('When it was deleted', () => {
    it('should be Deleted at the revision it had, without its content', () =>
      given([created(), revised(2)])
        .when(aDeleteTemplate({ templateId, tenantId, now: later }))
        .thenState({
          status: 'Deleted',
          templateId,
          tenantId,
          revision: 2,
          deletedAt: later.toISOString(),
        }));

    it('should refuse a revision', () =>
      given([created(), deleted()])
        .when(aReviseTemplate({ templateId, tenantId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_DELETED')));

    it('should take a second delete as done', () =>
      given([created(), deleted()]).when(aDeleteTemplate({ templateId, tenantId })).thenNothing());

    it('should still be unknown to another tenant', () =>
      given([created(), deleted()])
        .when(aReviseTemplate({ templateId, tenantId: otherTenantId }))
        .thenThrows(TemplateError, withCode('TEMPLATE_NOT_FOUND')));
  });

  describe('Events', () => {
    it('should fold the same from events that went through JSON', () => {
      const events: TemplateEvent[] = [created(), revised(2), deleted()];
      const roundTripped = JSON.parse(JSON.stringify(events)) as TemplateEvent[];
      expect(evolveAll(templateDecider, roundTripped)).toEqual(evolveAll(templateDecider, events));
    });

    it('should ignore events that cannot apply (a broken stream)', () => {
      expect(evolveAll(templateDecider, [revised(2), deleted()])).toEqual({ status: 'Empty' });
      expect(evolveAll(templateDecider, [created(), created()])).toMatchObject({ revision: 1 });
      expect(evolveAll(templateDecider, [created(), deleted(), revised(2)])).toMatchObject({
        status: 'Deleted',
        revision: 1,
      });
    });

    it('should reject an unknown command loudly', () =>
      expect(() =>
        templateDecider.decide(
          { type: 'ArchiveTemplate' } as unknown as TemplateCommand,
          templateDecider.initialState(),
        ),
      ).toThrow('Unknown template command: ArchiveTemplate'));
  });

  describe('Merge fields', () => {
    it.each([
      'firstName',
      'lastName',
      'name',
      'email',
      'unsubscribeUrl',
      'webViewUrl',
      'attributes.plan',
    ])('should know %s', (field) => expect(isTemplateMergeField(field)).toBe(true));

    it.each(['attributes', 'attributes.', 'password', 'constructor'])(
      'should not know %s',
      (field) => expect(isTemplateMergeField(field)).toBe(false),
    );
  });

  describe('Errors', () => {
    it('should be domain errors with a code, a kind and details', () => {
      const error = new TemplateError('INVALID_TEMPLATE', 'Line 3: bad', { line: 3 });
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        name: 'TemplateError',
        code: 'INVALID_TEMPLATE',
        kind: 'BAD_USER_INPUT',
        message: 'Line 3: bad',
        details: { line: 3 },
      });
    });

    it.each<[TemplateErrorCode, string]>([
      ['TEMPLATE_NOT_FOUND', 'NOT_FOUND'],
      ['TEMPLATE_DELETED', 'NOT_FOUND'],
      ['TEMPLATE_ALREADY_EXISTS', 'CONFLICT'],
      ['TEMPLATE_REVISION_CONFLICT', 'CONFLICT'],
      ['INVALID_TEMPLATE', 'BAD_USER_INPUT'],
    ])('should map %s to %s', (code, kind) => expect(new TemplateError(code).kind).toBe(kind));

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      for (const [code, kind] of Object.entries(templateErrorKinds)) {
        if (code.startsWith('INVALID_')) expect(kind).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe('Streams', () => {
    it('should name its stream template-<id>', () =>
      expect(toTemplateStreamId(templateId)).toBe(`template-${templateId}`));

    it('should list its event types', () =>
      expect([...TEMPLATE_EVENT_TYPES].sort()).toEqual([
        'TemplateCreated',
        'TemplateDeleted',
        'TemplateRevised',
      ]));
  });
});
