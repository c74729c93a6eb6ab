import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toTemplateStreamId } from '#domain';
import { type TemplateRow, templatesProjection } from '#projections';
import { ProjectionHarness, anId, sqlBackends } from '#testing';

import {
  aTemplateCreated,
  aTemplateDeleted,
  aTemplateRevised,
} from '../../libs/testing/src/builders/template.builders.js';

describe.each(sqlBackends())('Templates projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [templatesProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (templateId: string): Promise<TemplateRow | undefined> =>
    (
      await harness.rows<TemplateRow>('SELECT * FROM templates WHERE template_id = $1', [
        templateId,
      ])
    )[0];

  const redeliver = async (streamId: string, from = 0) => {
    const events = await harness.store.readStream(streamId);
    await templatesProjection.apply(
      events.slice(from),
      {
        query: async <R>(q: string, p?: unknown[]) => (await harness.pool.query(q, p)).rows as R[],
      },
      { templates: 'templates' },
    );
  };

  describe('When a template is created and revised', () => {
    it('should hold the current revision with its MJML, HTML and merge fields', async () => {
      const templateId = anId();
      const tenantId = anId();
      const stream = toTemplateStreamId(templateId);
      await harness.append(stream, [
        aTemplateCreated({ templateId, tenantId, name: 'Newsletter', mergeFields: ['firstName'] }),
      ]);
      await harness.runner.catchUp();
      expect(await row(templateId)).toMatchObject({
        tenant_id: tenantId,
        name: 'Newsletter',
        revision: 1,
        merge_fields: ['firstName'],
        deleted_at: null,
        last_revision: '0',
      });

      await harness.append(stream, [
        aTemplateRevised({
          templateId,
          tenantId,
          revision: 2,
          name: 'Weekly',
          mjml: '<mjml><mj-body><mj-text>Bye {{attributes.plan}}</mj-text></mj-body></mjml>',
          html: '<p>Bye {{attributes.plan}}</p>',
          mergeFields: ['attributes.plan'],
        }),
      ]);
      await harness.runner.catchUp();
      const revised = await row(templateId);
      expect(revised).toMatchObject({
        name: 'Weekly',
        revision: 2,
        html: '<p>Bye {{attributes.plan}}</p>',
        merge_fields: ['attributes.plan'],
        last_revision: '1',
      });
      expect((revised!.updated_at as Date).getTime()).toBeGreaterThanOrEqual(
        (revised!.created_at as Date).getTime(),
      );
    });
  });

  describe('When an event is redelivered', () => {
    it('should leave the row as it was', async () => {
      const templateId = anId();
      const stream = toTemplateStreamId(templateId);
      await harness.append(stream, [
        aTemplateCreated({ templateId }),
        aTemplateRevised({ templateId, revision: 2, name: 'Second' }),
      ]);
      await harness.runner.catchUp();
      const before = await row(templateId);
      await redeliver(stream);
      await redeliver(stream, 1);
      expect(await row(templateId)).toEqual(before);
      expect(before).toMatchObject({ name: 'Second', revision: 2, last_revision: '1' });
    });
  });

  describe('When a template is deleted', () => {
    it('should keep a tombstone without content that redelivery cannot bring back', async () => {
      const templateId = anId();
      const tenantId = anId();
      const stream = toTemplateStreamId(templateId);
      await harness.append(stream, [
        aTemplateCreated({ templateId, tenantId, name: 'Secret plans' }),
        aTemplateRevised({ templateId, tenantId, revision: 2 }),
        aTemplateDeleted({ templateId, tenantId }),
      ]);
      await harness.runner.catchUp();
      const tombstone = await row(templateId);
      expect(tombstone).toMatchObject({
        tenant_id: tenantId,
        name: '',
        mjml: '',
        html: '',
        merge_fields: [],
        revision: 2,
        last_revision: '2',
      });
      expect(tombstone?.deleted_at).toBeInstanceOf(Date);

      await redeliver(stream);
      expect(await row(templateId)).toEqual(tombstone);
      const leftovers = await harness.rows(
        `SELECT template_id FROM templates
          WHERE template_id = $1 AND (name = 'Secret plans' OR mjml <> '' OR html <> '')`,
        [templateId],
      );
      expect(leftovers).toEqual([]);
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give the same table', async () => {
      const tenantId = anId();
      for (let i = 0; i < 12; i++) {
        const templateId = anId();
        await harness.append(toTemplateStreamId(templateId), [
          aTemplateCreated({ templateId, tenantId, name: `Template ${i}` }),
          ...(i % 2 === 0 ? [aTemplateRevised({ templateId, tenantId, revision: 2 })] : []),
          ...(i % 3 === 0 ? [aTemplateDeleted({ templateId, tenantId })] : []),
        ]);
      }
      await harness.runner.catchUp();
      const snapshot = async () => harness.rows('SELECT * FROM templates ORDER BY template_id');
      const live = await snapshot();
      await harness.runner.rebuild('templates');
      expect(await snapshot()).toEqual(live);
    });
  });
});
