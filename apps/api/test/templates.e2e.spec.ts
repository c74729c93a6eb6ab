import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

const TEMPLATE_FIELDS = 'id name revision mjml html mergeFields createdAt updatedAt';

const CREATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
const REVISE = `mutation($input: ReviseTemplateInput!) { reviseTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteTemplate(id: $id) { id deletedAt } }`;
const GET = `query($id: ID!) { template(id: $id) { ${TEMPLATE_FIELDS} } }`;
const LIST = `query($first: Int, $after: String) {
  templates(first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;
const PREVIEW = `query($templateId: ID!, $recipientId: ID!) {
  previewTemplate(templateId: $templateId, recipientId: $recipientId) { html text revision } }`;
const ADD_RECIPIENT = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { alreadyErased } }`;
const CAMPAIGN_FIELDS = 'id mjmlBody templateId templateRevision revision';
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const REVISE_CAMPAIGN = `mutation($input: ReviseCampaignInput!) { reviseCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;

interface TemplateView {
  id: string;
  name: string;
  revision: number;
  mjml: string;
  html: string;
  mergeFields: string[];
}

interface CampaignView {
  id: string;
  mjmlBody: string;
  templateId: string | null;
  templateRevision: number | null;
  revision: number;
}

/** MJML whose lines are numbered as the tests expect: `body` sits on line 5. */
const mjml = (body: string, extra = ''): string =>
  [
    '<mjml>',
    '  <mj-body>',
    '    <mj-section>',
    '      <mj-column>',
    `        <mj-text>${body}</mj-text>`,
    `        <mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>${extra}`,
    '      </mj-column>',
    '    </mj-section>',
    '  </mj-body>',
    '</mjml>',
  ].join('\n');

const NEWSLETTER = mjml('Hello {{firstName}} {{lastName}}, your plan: {{attributes.plan}}');

const aDraftInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring sale',
  subject: 'Everything 20% off',
  fromAddress: 'news@acme.example',
  ...overrides,
});

describe.each(sqlBackends())('Templates over GraphQL (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  let otherKey: string;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey, tenantId } = await api.createTenant('Acme'));
    ({ apiKey: otherKey } = await api.createTenant('Globex'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(query: string, variables: Record<string, unknown>, key = apiKey) => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  const create = async (input: Record<string, unknown>, key = apiKey) =>
    (await ok<{ createTemplate: TemplateView }>(CREATE, { input }, key)).createTemplate;

  const errorOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions;

  const addRecipient = async (input: Record<string, unknown>) =>
    (await ok<{ addRecipient: { id: string } }>(ADD_RECIPIENT, { input })).addRecipient.id;

  describe('When a template is created, revised and previewed', () => {
    it('should compile each revision and fill one recipient, escaped', async () => {
      const created = await create({ name: ' Newsletter ', mjml: NEWSLETTER });
      expect(created).toMatchObject({
        name: 'Newsletter',
        revision: 1,
        mjml: NEWSLETTER,
        mergeFields: ['firstName', 'lastName', 'attributes.plan', 'unsubscribeUrl'],
      });
      expect(created.html).toContain('{{firstName}}');
      expect(created.html).toContain('href="{{unsubscribeUrl}}"');
      expect(created.html).not.toContain('<mj-');

      const revisedMjml = mjml(
        'Hi {{firstName}}! {{#if attributes.vip}}VIP-ONLY{{else}}REGULAR{{/if}} plan {{attributes.plan}}',
      );
      const revised = (
        await ok<{ reviseTemplate: TemplateView }>(REVISE, {
          input: { id: created.id, expectedRevision: 1, mjml: revisedMjml },
        })
      ).reviseTemplate;
      expect(revised).toMatchObject({
        id: created.id,
        name: 'Newsletter',
        revision: 2,
        mjml: revisedMjml,
        mergeFields: ['firstName', 'attributes.vip', 'attributes.plan', 'unsubscribeUrl'],
      });

      const same = (
        await ok<{ reviseTemplate: TemplateView }>(REVISE, {
          input: { id: created.id, mjml: revisedMjml, name: 'Newsletter' },
        })
      ).reviseTemplate;
      expect(same.revision).toBe(2);

      const stale = await api.graphql(
        REVISE,
        { input: { id: created.id, expectedRevision: 1, name: 'Too late' } },
        apiKey,
      );
      expect(errorOf(stale)).toMatchObject({
        code: 'CONFLICT',
        reason: 'TEMPLATE_REVISION_CONFLICT',
        actualRevision: 2,
      });

      const marker = `Zq${randomUUID().slice(0, 8)}`;
      const recipientId = await addRecipient({
        email: `${marker.toLowerCase()}@example.org`,
        name: `${marker} Lovelace King`,
        attributes: { plan: '<script>alert(1)</script>', vip: true },
      });
      const { previewTemplate } = await ok<{
        previewTemplate: { html: string; text: string; revision: number };
      }>(PREVIEW, { templateId: created.id, recipientId });
      expect(previewTemplate.revision).toBe(2);
      expect(previewTemplate.html).toContain(`Hi ${marker}!`);
      expect(previewTemplate.html).toContain('VIP-ONLY');
      expect(previewTemplate.html).not.toContain('REGULAR');
      expect(previewTemplate.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(previewTemplate.html).not.toContain('<script>');
      expect(previewTemplate.html).not.toContain('{{');
      expect(previewTemplate.html).toMatch(/href="http[^"]+\/unsubscribe\/preview"/);
      expect(previewTemplate.text).toContain(`Hi ${marker}! VIP-ONLY plan`);
      expect(previewTemplate.text).not.toContain('<table');

      const read = await ok<{ template: TemplateView }>(GET, { id: created.id });
      expect(read.template).toMatchObject({ revision: 2, mjml: revisedMjml });
    });

    it('should page through the tenant templates, newest first', async () => {
      const { apiKey: key } = await api.createTenant('Pager');
      for (const name of ['First', 'Second', 'Third']) {
        await create({ name, mjml: mjml('Hi {{name}}') }, key);
      }
      const page = await ok<{
        templates: {
          edges: Array<{ node: { name: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      }>(LIST, { first: 2 }, key);
      expect(page.templates.edges.map((e) => e.node.name)).toEqual(['Third', 'Second']);
      expect(page.templates.pageInfo.hasNextPage).toBe(true);
      const next = await ok<{ templates: { edges: Array<{ node: { name: string } }> } }>(
        LIST,
        { first: 2, after: page.templates.pageInfo.endCursor },
        key,
      );
      expect(next.templates.edges.map((e) => e.node.name)).toEqual(['First']);
    });
  });

  describe('When the MJML or its merge fields are wrong', () => {
    it('should answer BAD_USER_INPUT with reason INVALID_TEMPLATE and the MJML error line', async () => {
      const res = await api.graphql(
        CREATE,
        { input: { name: 'Broken', mjml: mjml('Hi', '\n        <mj-nope>Wrong</mj-nope>') } },
        apiKey,
      );
      expect(errorOf(res)).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_TEMPLATE',
        line: 7,
      });
      expect(res.errors?.[0]?.message).toMatch(/line 7/i);
      expect(res.errors?.[0]?.message).toContain('mj-nope');
    });

    it.each([
      ['an unknown merge field', mjml('Hi {{favouriteColour}}'), /favouriteColour/],
      ['a triple-stash', mjml('Hi {{{firstName}}}'), /unescaped/],
      ['a partial', mjml('Hi {{> footer}}'), /Partials/],
      ['another helper', mjml('Hi {{#each attributes}}x{{/each}}'), /each/],
      ['broken mustache syntax', mjml('Hi {{firstName'), /syntax/],
    ])('should refuse %s with its line', async (_, source, message) => {
      const res = await api.graphql(CREATE, { input: { name: 'Bad', mjml: source } }, apiKey);
      expect(errorOf(res)).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_TEMPLATE',
        line: 5,
      });
      expect(res.errors?.[0]?.message).toMatch(message);
    });

    it('should refuse a revision with invalid MJML and keep the last good one', async () => {
      const created = await create({ name: 'Keep', mjml: NEWSLETTER });
      const res = await api.graphql(
        REVISE,
        { input: { id: created.id, mjml: mjml('{{unknownField}}') } },
        apiKey,
      );
      expect(errorOf(res)).toMatchObject({ reason: 'INVALID_TEMPLATE', line: 5 });
      const read = await ok<{ template: TemplateView }>(GET, { id: created.id });
      expect(read.template).toMatchObject({ revision: 1, mjml: NEWSLETTER });
    });
  });

  describe('When another tenant asks', () => {
    it('should not find the template, nor let it be revised, previewed or pinned', async () => {
      const created = await create({ name: 'Private', mjml: NEWSLETTER });
      const recipientId = await addRecipient({ email: `p.${randomUUID()}@example.org` });

      const read = await api.graphql(GET, { id: created.id }, otherKey);
      expect(errorOf(read)).toMatchObject({ code: 'NOT_FOUND', reason: 'TEMPLATE_NOT_FOUND' });
      const revise = await api.graphql(
        REVISE,
        { input: { id: created.id, name: 'Mine' } },
        otherKey,
      );
      expect(errorOf(revise)).toMatchObject({ code: 'NOT_FOUND' });
      const preview = await api.graphql(PREVIEW, { templateId: created.id, recipientId }, otherKey);
      expect(errorOf(preview)).toMatchObject({ code: 'NOT_FOUND' });
      const deletion = await api.graphql(DELETE, { id: created.id }, otherKey);
      expect(errorOf(deletion)).toMatchObject({ code: 'NOT_FOUND' });
      const pinned = await api.graphql(
        DRAFT,
        { input: aDraftInput({ templateId: created.id }) },
        otherKey,
      );
      expect(errorOf(pinned)).toMatchObject({ code: 'NOT_FOUND', reason: 'TEMPLATE_NOT_FOUND' });
      const list = await ok<{ templates: { edges: Array<{ node: { id: string } }> } }>(
        LIST,
        { first: 100 },
        otherKey,
      );
      expect(list.templates.edges.map((e) => e.node.id)).not.toContain(created.id);

      // And the owner still has it, unchanged.
      expect((await ok<{ template: TemplateView }>(GET, { id: created.id })).template.name).toBe(
        'Private',
      );
    });
  });

  describe('When a recipient cannot be previewed', () => {
    it('should answer NOT_FOUND for an erased or unknown recipient', async () => {
      const created = await create({ name: 'Erasure', mjml: NEWSLETTER });
      const email = `erase.${randomUUID()}@example.org`;
      const recipientId = await addRecipient({ email, name: 'Erin Erasable' });
      await ok(ERASE, { input: { id: recipientId, basis: 'GDPR_ART17' } });
      const erased = await api.graphql<{ previewTemplate: { html: string } }>(
        PREVIEW,
        { templateId: created.id, recipientId },
        apiKey,
      );
      expect(errorOf(erased)).toMatchObject({ code: 'NOT_FOUND', reason: 'RECIPIENT_NOT_FOUND' });
      expect(JSON.stringify(erased)).not.toContain('Erin');
      const unknown = await api.graphql(
        PREVIEW,
        { templateId: created.id, recipientId: randomUUID() },
        apiKey,
      );
      expect(errorOf(unknown)).toMatchObject({ code: 'NOT_FOUND', reason: 'RECIPIENT_NOT_FOUND' });
    });
  });

  describe('When a campaign sends a template', () => {
    it('should pin the current revision and keep it while the template moves on', async () => {
      const created = await create({ name: 'Pinned', mjml: NEWSLETTER });
      await ok(REVISE, { input: { id: created.id, mjml: mjml('Second {{firstName}}') } });

      const campaign = (
        await ok<{ draftCampaign: CampaignView }>(DRAFT, {
          input: aDraftInput({ templateId: created.id }),
        })
      ).draftCampaign;
      expect(campaign).toMatchObject({ templateId: created.id, templateRevision: 2, mjmlBody: '' });

      await ok(REVISE, { input: { id: created.id, mjml: mjml('Third {{firstName}}') } });
      const moved = (
        await ok<{ reviseCampaign: CampaignView }>(REVISE_CAMPAIGN, {
          input: { id: campaign.id, subject: 'Still pinned' },
        })
      ).reviseCampaign;
      expect(moved).toMatchObject({ templateId: created.id, templateRevision: 2, revision: 1 });

      const repinned = (
        await ok<{ reviseCampaign: CampaignView }>(REVISE_CAMPAIGN, {
          input: { id: campaign.id, templateId: created.id, templateRevision: 3 },
        })
      ).reviseCampaign;
      expect(repinned).toMatchObject({ templateRevision: 3, revision: 2 });

      const older = (
        await ok<{ draftCampaign: CampaignView }>(DRAFT, {
          input: aDraftInput({ templateId: created.id, templateRevision: 1 }),
        })
      ).draftCampaign;
      expect(older.templateRevision).toBe(1);

      // What delivery will send for each pinned revision: that revision's content, from the log.
      const pinnedContent = await api.runtime.templates.revision(tenantId, created.id, 2);
      expect(pinnedContent.mjml).toContain('Second {{firstName}}');
      expect(pinnedContent.html).toContain('Second {{firstName}}');
      expect((await api.runtime.templates.revision(tenantId, created.id, 1)).mjml).toBe(NEWSLETTER);
      await expect(api.runtime.templates.revision(tenantId, created.id, 9)).rejects.toMatchObject({
        code: 'TEMPLATE_REVISION_NOT_FOUND',
      });

      const missing = await api.graphql(
        DRAFT,
        { input: aDraftInput({ templateId: created.id, templateRevision: 9 }) },
        apiKey,
      );
      expect(errorOf(missing)).toMatchObject({
        code: 'NOT_FOUND',
        reason: 'TEMPLATE_REVISION_NOT_FOUND',
      });
    });

    it('should refuse a deleted template, and a campaign with neither MJML nor template', async () => {
      const created = await create({ name: 'Doomed', mjml: NEWSLETTER });
      const deleted = await ok<{ deleteTemplate: { id: string; deletedAt: string } }>(DELETE, {
        id: created.id,
      });
      expect(deleted.deleteTemplate.id).toBe(created.id);
      const again = await ok<{ deleteTemplate: { id: string; deletedAt: string } }>(DELETE, {
        id: created.id,
      });
      expect(again.deleteTemplate).toEqual(deleted.deleteTemplate);

      expect(errorOf(await api.graphql(GET, { id: created.id }, apiKey))).toMatchObject({
        code: 'NOT_FOUND',
      });
      const revise = await api.graphql(REVISE, { input: { id: created.id, name: 'Back' } }, apiKey);
      expect(errorOf(revise)).toMatchObject({ code: 'NOT_FOUND', reason: 'TEMPLATE_DELETED' });
      const pinned = await api.graphql(
        DRAFT,
        { input: aDraftInput({ templateId: created.id }) },
        apiKey,
      );
      expect(errorOf(pinned)).toMatchObject({ code: 'NOT_FOUND', reason: 'TEMPLATE_DELETED' });

      const bodiless = await api.graphql(DRAFT, { input: aDraftInput() }, apiKey);
      expect(errorOf(bodiless)).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_MJML_BODY',
      });
    });
  });
});
