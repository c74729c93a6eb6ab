import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const USAGE = `query($key: ID) {
  apiUsage(days: 7, apiKeyId: $key) {
    from to requests cost
    days { day apiKeyId accountId operation requests cost errors }
  }
}`;

interface Usage {
  apiUsage: {
    requests: number;
    cost: number;
    days: Array<{
      day: string;
      apiKeyId: string | null;
      operation: string;
      requests: number;
      cost: number;
      errors: number;
    }>;
  };
}

/** API usage metrics (policy §2C): per tenant, key, operation and day, for owners and admins. */
describe.each(sqlBackends())('API usage (%s)', (backend) => {
  let api: ApiTestApp;
  let owner: { tenantId: string; apiKey: string };
  let marketer: { apiKeyId: string; apiKey: string };
  let viewer: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, { MAILPACKR_API_USAGE_FLUSH_MS: '0' });
    owner = await api.createTenant('Usage Ltd');
    const issue = (role: 'marketer' | 'viewer') =>
      api.runtime.tenants.issueApiKey({
        tenantId: owner.tenantId,
        role,
        label: role,
        actor: 'test:owner',
      });
    marketer = await issue('marketer');
    viewer = (await issue('viewer')).apiKey;
    await api.caughtUp(['api-keys']);
  });
  afterAll(() => api.stop());

  describe('Given calls by two keys, one of them failing', () => {
    it('should count requests, cost and errors per key, operation and day', async () => {
      for (let i = 0; i < 3; i++)
        expect(
          (
            await api.graphql(
              `{ campaigns(first: 10) { edges { node { id } } } }`,
              {},
              marketer.apiKey,
            )
          ).errors,
        ).toBeUndefined();
      const failing = await api.graphql(
        `mutation { createContactList(input: { name: "" }) { id } }`,
        {},
        marketer.apiKey,
      );
      expect(failing.errors).toBeDefined();

      const res = await api.graphql<Usage>(USAGE, { key: marketer.apiKeyId }, owner.apiKey);
      expect(res.errors).toBeUndefined();
      const today = new Date().toISOString().slice(0, 10);
      const byOperation = Object.fromEntries(res.data!.apiUsage.days.map((d) => [d.operation, d]));
      expect(byOperation.campaigns).toMatchObject({
        day: today,
        apiKeyId: marketer.apiKeyId,
        requests: 3,
        errors: 0,
      });
      expect(byOperation.campaigns!.cost).toBeGreaterThan(0);
      expect(byOperation.createContactList).toMatchObject({ requests: 1, errors: 1 });
      expect(res.data!.apiUsage.requests).toBe(4);
    });
  });

  describe('When someone else asks', () => {
    it('should refuse a viewer, and show another tenant none of this tenant’s usage', async () => {
      const refused = await api.graphql(USAGE, {}, viewer);
      expect(refused.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      const other = await api.createTenant('Other Ltd');
      const theirs = await api.graphql<Usage>(USAGE, { key: marketer.apiKeyId }, other.apiKey);
      expect(theirs.data!.apiUsage).toMatchObject({ requests: 0, days: [] });
      const bad = await api.graphql(`{ apiUsage(days: 401) { requests } }`, {}, owner.apiKey);
      expect(bad.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });
  });
});
