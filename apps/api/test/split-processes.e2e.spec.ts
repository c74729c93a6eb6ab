import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { MailpackrRuntime, loadConfig } from '#platform';
import { aValidMjmlBody, sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

/**
 * `MAILPACKR_MODE=api` and a separate worker, as when the two are scaled apart: the API runs no
 * projections itself, yet a query right after a mutation still reflects it.
 */
describe.each(sqlBackends())('API and worker as separate runtimes (%s)', (backend) => {
  let api: ApiTestApp;
  let worker: MailpackrRuntime;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend, { MAILPACKR_MODE: 'api' });
    const { DATABASE_URL, MAILPACKR_KEK, MAILPACKR_DATA_DIR } = api.runtime.config;
    worker = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL,
          MAILPACKR_KEK,
          MAILPACKR_DATA_DIR,
          MAILPACKR_MODE: 'worker',
          NODE_ENV: 'test',
        },
      ),
    );
    await worker.projections.start();
  });
  afterAll(async () => {
    await worker.close();
    await api.stop();
  });

  describe('When a campaign is drafted and scheduled through the API', () => {
    it('should be readable at once, applied by the other runtime', async () => {
      const { apiKey } = await api.createTenant('Split Ltd');
      const drafted = await api.graphql<{ draftCampaign: { id: string; revision: number } }>(
        `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id revision } }`,
        {
          input: {
            name: 'Split',
            subject: 'Hi',
            fromAddress: 'news@split.example',
            mjmlBody: aValidMjmlBody(),
          },
        },
        apiKey,
      );
      expect(drafted.errors).toBeUndefined();
      const id = drafted.data!.draftCampaign.id;
      const sendAt = new Date(Date.now() + 3_600_000).toISOString();
      const scheduled = await api.graphql(
        `mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { status revision } }`,
        { input: { id, sendAt } },
        apiKey,
      );
      expect(scheduled.data).toEqual({ scheduleCampaign: { status: 'SCHEDULED', revision: 1 } });
      const read = await api.graphql(
        `query($id: ID!) { campaign(id: $id) { status sendAt } }`,
        { id },
        apiKey,
      );
      expect(read.data).toEqual({ campaign: { status: 'SCHEDULED', sendAt } });
    });
  });
});
