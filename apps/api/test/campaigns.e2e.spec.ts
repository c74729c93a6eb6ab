import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { aValidMjmlBody, sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const CAMPAIGN_FIELDS =
  'id name subject fromAddress fromName listIds status sendAt cancelReason revision createdAt updatedAt';

const DRAFT = `mutation Draft($input: DraftCampaignInput!) { draftCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const REVISE = `mutation Revise($input: ReviseCampaignInput!) { reviseCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const SCHEDULE = `mutation Schedule($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const CANCEL = `mutation Cancel($input: CancelCampaignInput!) { cancelCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const GET = `query Get($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const LIST = `query List($first: Int, $after: String, $status: CampaignStatus) {
  campaigns(first: $first, after: $after, status: $status) { edges { cursor node { id name status } } pageInfo { hasNextPage endCursor } } }`;

interface CampaignView {
  id: string;
  name: string;
  status: string;
  revision: number;
  sendAt: string | null;
  subject: string;
  cancelReason: string | null;
}

const aDraftInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring sale',
  subject: 'Everything 20% off',
  fromAddress: 'news@acme.example',
  fromName: 'Acme',
  mjmlBody: aValidMjmlBody(),
  ...overrides,
});

const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();

describe.each(sqlBackends())('Campaigns over GraphQL (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey } = await api.createTenant('Acme'));
  });
  afterAll(async () => api.stop());

  const draft = async (overrides: Record<string, unknown> = {}, key = apiKey) => {
    const res = await api.graphql<{ draftCampaign: CampaignView }>(
      DRAFT,
      { input: aDraftInput(overrides) },
      key,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.draftCampaign;
  };

  describe('When a campaign goes through its life', () => {
    it('should reflect every mutation in the very next query, with its revision', async () => {
      const drafted = await draft();
      expect(drafted).toMatchObject({
        name: 'Spring sale',
        status: 'DRAFT',
        revision: 0,
        sendAt: null,
      });

      const revised = await api.graphql<{ reviseCampaign: CampaignView }>(
        REVISE,
        { input: { id: drafted.id, expectedRevision: 0, subject: 'Now 30% off' } },
        apiKey,
      );
      expect(revised.data?.reviseCampaign).toMatchObject({
        subject: 'Now 30% off',
        revision: 1,
        status: 'DRAFT',
      });

      const sendAt = inOneDay();
      const scheduled = await api.graphql<{ scheduleCampaign: CampaignView }>(
        SCHEDULE,
        { input: { id: drafted.id, sendAt, expectedRevision: 1 } },
        apiKey,
      );
      expect(scheduled.data?.scheduleCampaign).toMatchObject({
        status: 'SCHEDULED',
        revision: 2,
        sendAt,
      });

      const read = await api.graphql<{ campaign: CampaignView }>(GET, { id: drafted.id }, apiKey);
      expect(read.data?.campaign).toMatchObject({
        status: 'SCHEDULED',
        subject: 'Now 30% off',
        revision: 2,
      });

      const cancelled = await api.graphql<{ cancelCampaign: CampaignView }>(
        CANCEL,
        { input: { id: drafted.id, reason: 'Stock ran out' } },
        apiKey,
      );
      expect(cancelled.data?.cancelCampaign).toMatchObject({
        status: 'CANCELLED',
        cancelReason: 'Stock ran out',
        revision: 3,
      });
    });

    it('should return the first result when a draft is retried with the same idempotency key', async () => {
      const first = await draft({ idempotencyKey: 'retry-me-1', name: 'Once' });
      const again = await draft({ idempotencyKey: 'retry-me-1', name: 'Once' });
      expect(again).toEqual(first);
      // The same key on another kind of command is another command.
      const scheduled = await api.graphql<{ scheduleCampaign: CampaignView }>(
        SCHEDULE,
        { input: { id: first.id, sendAt: inOneDay(), idempotencyKey: 'retry-me-1' } },
        apiKey,
      );
      expect(scheduled.data?.scheduleCampaign).toMatchObject({ status: 'SCHEDULED', revision: 1 });
      const list = await api.graphql<{ campaigns: { edges: Array<{ node: CampaignView }> } }>(
        LIST,
        { first: 100 },
        apiKey,
      );
      expect(list.data!.campaigns.edges.filter((e) => e.node.name === 'Once')).toHaveLength(1);
    });
  });

  describe('When the tenant deletes a campaign', () => {
    it('should remove its content from the read model at once and answer NOT_FOUND afterwards', async () => {
      const marker = `Subject ${Date.now()} ${Math.random()}`;
      const drafted = await draft({ subject: marker });
      const res = await api.graphql<{
        deleteCampaign: { id: string; revision: number; deletedAt: string };
      }>(
        `mutation($input: DeleteCampaignInput!) { deleteCampaign(input: $input) { id revision deletedAt } }`,
        { input: { id: drafted.id } },
        apiKey,
      );
      expect(res.data?.deleteCampaign).toMatchObject({ id: drafted.id, revision: 1 });
      expect(
        (await api.graphql(GET, { id: drafted.id }, apiKey)).errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');
      const list = await api.graphql<{ campaigns: { edges: Array<{ node: { id: string } }> } }>(
        LIST,
        { first: 100 },
        apiKey,
      );
      expect(list.data!.campaigns.edges.map((e) => e.node.id)).not.toContain(drafted.id);
      const { rows } = await api.runtime.pool.query<{ subject: string }>(
        'SELECT subject FROM campaigns WHERE campaign_id = $1',
        [drafted.id],
      );
      expect(rows).toEqual([{ subject: '' }]);
      const again = await api.graphql(
        `mutation($input: DeleteCampaignInput!) { deleteCampaign(input: $input) { id } }`,
        { input: { id: drafted.id } },
        apiKey,
      );
      expect(again.errors).toBeUndefined();
      const revise = await api.graphql(
        `mutation($input: ReviseCampaignInput!) { reviseCampaign(input: $input) { id } }`,
        { input: { id: drafted.id, name: 'Back' } },
        apiKey,
      );
      expect(revise.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('When the input is wrong', () => {
    it('should take a large MJML body (300 KB) and refuse a request over the body limit', async () => {
      const big = `<mjml><mj-body><mj-text>${'x'.repeat(300_000)}</mj-text></mj-body></mjml>`;
      const drafted = await draft({ mjmlBody: big });
      expect(drafted.status).toBe('DRAFT');
      const tooBig = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          query: DRAFT,
          variables: { input: aDraftInput({ mjmlBody: 'x'.repeat(3_000_000) }) },
        }),
      });
      expect(tooBig.status).toBe(413);
      expect((await api.graphql('{ viewer { role } }', {}, apiKey)).data).toEqual({
        viewer: { role: 'OWNER' },
      });
    });

    it('should answer CONFLICT for a stale expectedRevision and change nothing', async () => {
      const drafted = await draft();
      const res = await api.graphql(
        REVISE,
        { input: { id: drafted.id, expectedRevision: 5, name: 'Too late' } },
        apiKey,
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', actualRevision: 0 });
      const read = await api.graphql<{ campaign: CampaignView }>(GET, { id: drafted.id }, apiKey);
      expect(read.data?.campaign).toMatchObject({ name: 'Spring sale', revision: 0 });
    });

    it('should answer BAD_USER_INPUT for a send time in the past', async () => {
      const drafted = await draft();
      const res = await api.graphql(
        SCHEDULE,
        { input: { id: drafted.id, sendAt: '2001-01-01T00:00:00Z' } },
        apiKey,
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'SEND_AT_IN_PAST',
      });
    });

    it.each([
      ['an invalid from address', { fromAddress: 'not-an-address' }],
      ['an empty name', { name: '' }],
      ['list ids that are not UUIDs', { listIds: ['nope'] }],
      ['a body without <mjml>', { mjmlBody: '<html></html>' }],
    ])('should answer BAD_USER_INPUT for %s', async (_, overrides) => {
      const res = await api.graphql(DRAFT, { input: aDraftInput(overrides) }, apiKey);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('should answer NOT_FOUND for an unknown campaign and BAD_USER_INPUT for an id that is not a UUID', async () => {
      const unknown = await api.graphql(
        GET,
        { id: '00000000-0000-4000-8000-000000000000' },
        apiKey,
      );
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const bad = await api.graphql(GET, { id: 'x' }, apiKey);
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const revise = await api.graphql(
        REVISE,
        { input: { id: '00000000-0000-4000-8000-000000000000', name: 'x' } },
        apiKey,
      );
      expect(revise.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('should reject malformed GraphQL and unknown input fields with a typed error', async () => {
      const parse = await api.raw('{"query":"{ campaigns( }"}', apiKey);
      expect(parse.json.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      const unknownField = await api.graphql(
        DRAFT,
        { input: { ...aDraftInput(), tenantId: 'someone-else' } },
        apiKey,
      );
      expect(unknownField.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const badDate = await api.graphql(
        SCHEDULE,
        { input: { id: '00000000-0000-4000-8000-000000000000', sendAt: 'tomorrow' } },
        apiKey,
      );
      expect(badDate.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const notJson = await api.raw('{nope', apiKey);
      expect(notJson.status).toBe(400);
      // and the service keeps serving
      expect((await api.graphql('{ viewer { role } }', {}, apiKey)).data).toEqual({
        viewer: { role: 'OWNER' },
      });
    });
  });

  describe('When listing campaigns', () => {
    it('should page newest first with cursors, filter by status and cap first at 100', async () => {
      const { apiKey: key } = await api.createTenant('Pager');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await draft({ name: `C${i}` }, key)).id);
      await api.graphql(SCHEDULE, { input: { id: ids[1], sendAt: inOneDay() } }, key);

      type Page = {
        campaigns: {
          edges: Array<{ cursor: string; node: CampaignView }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
      const first = await api.graphql<Page>(LIST, { first: 2 }, key);
      expect(first.data!.campaigns.edges.map((e) => e.node.name)).toEqual(['C4', 'C3']);
      expect(first.data!.campaigns.pageInfo.hasNextPage).toBe(true);
      const second = await api.graphql<Page>(
        LIST,
        { first: 2, after: first.data!.campaigns.pageInfo.endCursor },
        key,
      );
      expect(second.data!.campaigns.edges.map((e) => e.node.name)).toEqual(['C2', 'C1']);
      const last = await api.graphql<Page>(
        LIST,
        { first: 2, after: second.data!.campaigns.pageInfo.endCursor },
        key,
      );
      expect(last.data!.campaigns.edges.map((e) => e.node.name)).toEqual(['C0']);
      expect(last.data!.campaigns.pageInfo.hasNextPage).toBe(false);

      const scheduled = await api.graphql<Page>(LIST, { status: 'SCHEDULED' }, key);
      expect(scheduled.data!.campaigns.edges.map((e) => e.node.id)).toEqual([ids[1]]);

      expect((await api.graphql(LIST, { first: 101 }, key)).errors?.[0]?.extensions?.code).toBe(
        'BAD_USER_INPUT',
      );
      expect(
        (await api.graphql(LIST, { after: 'garbage' }, key)).errors?.[0]?.extensions?.code,
      ).toBe('BAD_USER_INPUT');
    });

    it('should answer every field of a page as the campaign itself does, whichever fields are asked', async () => {
      // A page loads only the columns its fields need: every combination must still be whole.
      const { apiKey: key } = await api.createTenant('Columns');
      const scheduled = await draft({ name: 'Scheduled one' }, key);
      await api.graphql(SCHEDULE, { input: { id: scheduled.id, sendAt: inOneDay() } }, key);
      await draft({ name: 'Draft one', mjmlBody: aValidMjmlBody('Columns body') }, key);
      const ALL = `${CAMPAIGN_FIELDS} mjmlBody templateId templateRevision scheduledAt cancelledAt
        startedAt pausedAt pausedReason completedAt audience { recipients } delivery { total }`;
      const page = (fields: string) =>
        api.graphql<{ campaigns: { edges: Array<{ node: Record<string, unknown> }> } }>(
          `{ campaigns { edges { node { ${fields} } } } }`,
          {},
          key,
        );
      const whole = (await page(ALL)).data!.campaigns.edges.map((e) => e.node);
      expect(whole.map((c) => c.name)).toEqual(['Draft one', 'Scheduled one']);
      for (const campaign of whole) {
        const one = await api.graphql<{ campaign: Record<string, unknown> }>(
          `query Get($id: ID!) { campaign(id: $id) { ${ALL} } }`,
          { id: campaign.id },
          key,
        );
        expect(campaign).toEqual(one.data!.campaign);
      }
      expect(String(whole[0]!.mjmlBody)).toContain('Columns body');
      // A few fields, through a fragment and with __typename: the same values.
      const some = await api.graphql<{
        campaigns: { edges: Array<{ node: Record<string, unknown> }> };
      }>(
        `{ campaigns { edges { node { __typename ...Few } } } } fragment Few on Campaign { status revision pausedReason }`,
        {},
        key,
      );
      expect(some.data!.campaigns.edges.map((e) => e.node)).toEqual(
        whole.map((c) => ({
          __typename: 'Campaign',
          status: c.status,
          revision: c.revision,
          pausedReason: c.pausedReason,
        })),
      );
    });
  });

  describe('When the caller is not who they should be', () => {
    it('should answer UNAUTHENTICATED without a key or with a wrong one', async () => {
      const none = await api.graphql(LIST, {});
      expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const wrong = await api.graphql(LIST, {}, 'mpk_wrong-key-000000000000000000000000000000');
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('should keep each tenant to its own campaigns', async () => {
      const mine = await draft({ name: 'Private plan' });
      const { apiKey: otherKey } = await api.createTenant('Rival');
      expect(
        (await api.graphql(GET, { id: mine.id }, otherKey)).errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');
      const hijack = await api.graphql(
        REVISE,
        { input: { id: mine.id, name: 'Hijacked' } },
        otherKey,
      );
      expect(hijack.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const list = await api.graphql<{ campaigns: { edges: unknown[] } }>(LIST, {}, otherKey);
      expect(list.data!.campaigns.edges).toEqual([]);
      const read = await api.graphql<{ campaign: CampaignView }>(GET, { id: mine.id }, apiKey);
      expect(read.data!.campaign.name).toBe('Private plan');
    });
  });

  describe('When asking how fresh the read models are', () => {
    it('should report each projection with no events behind after a mutation', async () => {
      await draft();
      const res = await api.graphql<{
        projectionStatus: Array<{ name: string; eventsBehind: number; checkpoint: string }>;
      }>('{ projectionStatus { name eventsBehind checkpoint } }', {}, apiKey);
      const campaigns = res.data!.projectionStatus.find((p) => p.name === 'campaigns');
      expect(campaigns).toMatchObject({ eventsBehind: 0 });
      expect(campaigns!.checkpoint).toMatch(/^\d+\/\d+$/);
    });
  });
});
