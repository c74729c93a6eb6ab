import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { aValidMjmlBody, sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const METRICS_TOKEN = `metrics-${randomUUID()}`;

/** The value of one sample in a Prometheus text exposition (0 when absent). */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number => {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
};

/**
 * Operations endpoints: `/health` (liveness), `/ready` (database, event store, projection lag,
 * shutdown), `/metrics` (Prometheus, behind a token when one is set), and the request id.
 */
describe.each(sqlBackends())('Operations endpoints (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend, {
      MAILPACKR_METRICS_TOKEN: METRICS_TOKEN,
      MAILPACKR_READY_MAX_LAG: '0',
    });
    ({ apiKey, tenantId } = await api.createTenant('Operators Ltd'));
  });
  afterAll(async () => api?.stop());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, { headers });
  const metrics = async (): Promise<string> => {
    const response = await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };
  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const readyAfterCache = async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // answers are cached for 1 s
    const response = await get('/ready');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  describe('When a probe calls /health', () => {
    it('should answer 200 ok without auth, with a request id', async () => {
      const response = await get('/health');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it("should keep a client's safe request id and replace an unsafe one", async () => {
      const kept = await get('/health', { 'x-request-id': 'trace-42.abc_DEF' });
      expect(kept.headers.get('x-request-id')).toBe('trace-42.abc_DEF');
      for (const unsafe of ['a b', 'x'.repeat(65), 'evil\u00e9', 'a@b.example', '<script>']) {
        const replaced = await get('/health', { 'x-request-id': encodeURI(unsafe) });
        expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
      const graphql = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'gql-1' },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(graphql.headers.get('x-request-id')).toBe('gql-1');
    });
  });

  describe('When the read models are up to date', () => {
    it('should be ready, naming every check and each projection', async () => {
      await api.caughtUp(api.runtime.projections.projections.map((p) => p.name));
      const { status, body } = await readyAfterCache();
      expect(body).toMatchObject({
        status: 'ready',
        checks: {
          database: { ok: true },
          eventStore: { ok: true },
          projections: { ok: true, maxLag: 0 },
        },
      });
      expect(status).toBe(200);
      const behind = (body.checks as { projections: { behind: Record<string, number> } })
        .projections.behind;
      expect(Object.keys(behind).sort()).toEqual(
        api.runtime.projections.projections.map((p) => p.name).sort(),
      );
    });
  });

  describe('When a projection falls more than MAILPACKR_READY_MAX_LAG events behind', () => {
    it('should answer 503 not_ready, and ready again once it has caught up', async () => {
      await api.runtime.projections.stop();
      try {
        // Appended while no projection runs: every tenant read model is now behind.
        await api.runtime.tenants.createTenant({ name: 'Lagging', actor: 'test:operator' });
        const lagging = await readyAfterCache();
        expect(lagging.status).toBe(503);
        expect(lagging.body).toMatchObject({
          status: 'not_ready',
          checks: { database: { ok: true }, eventStore: { ok: true }, projections: { ok: false } },
        });
      } finally {
        await api.runtime.projections.start();
      }
      await api.caughtUp(api.runtime.projections.projections.map((p) => p.name));
      expect((await readyAfterCache()).status).toBe(200);
    });
  });

  describe('When a scraper calls /metrics', () => {
    it('should refuse a missing or wrong token with 401', async () => {
      expect((await get('/metrics')).status).toBe(401);
      expect((await get('/metrics', { authorization: 'Bearer wrong-token-123456' })).status).toBe(
        401,
      );
    });

    it('should count appends, messages and request latency, and show projection lag', async () => {
      const before = await metrics();
      expect(before).toContain('process_cpu_user_seconds_total');

      const listId = (
        await ok<{ createContactList: { id: string } }>(
          `mutation { createContactList(input: { name: "Metrics" }) { id } }`,
        )
      ).createContactList.id;
      await ok(`mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`, {
        input: { email: `metrics.${randomUUID()}@example.org`, listIds: [listId] },
      });
      const campaignId = (
        await ok<{ draftCampaign: { id: string } }>(
          `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`,
          {
            input: {
              name: 'Metrics',
              subject: 'Hi',
              fromAddress: 'news@metrics.example',
              mjmlBody: aValidMjmlBody(),
              listIds: [listId],
            },
          },
        )
      ).draftCampaign.id;
      await ok(`mutation Launch($id: ID!) { launchCampaign(input: { id: $id }) { status } }`, {
        id: campaignId,
      });
      await api.runtime.projections.catchUp();
      expect(await api.runtime.delivery.runOnce({ now: new Date() })).toMatchObject({ sent: 1 });
      const refused = await api.graphql(`{ campaign(id: "${randomUUID()}") { id } }`, {}, apiKey);
      expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      const after = await metrics();
      const delta = (name: string, labels: Record<string, string> = {}) =>
        sample(after, name, labels) - sample(before, name, labels);
      expect(delta('mailpackr_messages_total', { outcome: 'sent' })).toBe(1);
      expect(delta('mailpackr_events_appended_total', { type: 'MessageSent' })).toBe(1);
      expect(delta('mailpackr_events_appended_total', { type: 'MessageQueued' })).toBe(1);
      expect(delta('mailpackr_event_store_appends_total', { outcome: 'ok' })).toBeGreaterThan(3);
      expect(
        delta('mailpackr_http_request_duration_seconds_count', {
          type: 'mutation',
          operation: 'launchCampaign',
          outcome: 'success',
        }),
      ).toBe(1);
      expect(
        delta('mailpackr_http_request_duration_seconds_count', {
          type: 'query',
          operation: 'campaign',
          outcome: 'client_error',
        }),
      ).toBe(1);
      expect(
        sample(after, 'mailpackr_http_request_duration_seconds_count', {
          type: 'http',
          operation: '/health',
        }),
      ).toBeGreaterThan(0);
      expect(after).toMatch(/mailpackr_projection_lag_events\{projection="messages"\} \d+/);
      // No label holds a tenant id or an address.
      expect(after).not.toContain('@');
      expect(after).not.toContain(tenantId);
    });
  });

  describe('When the process is shutting down', () => {
    it('should answer 503 shutting_down at once', async () => {
      api.runtime.readiness.markShuttingDown();
      const response = await get('/ready');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'shutting_down' });
      expect((await get('/health')).status).toBe(200);
    });
  });
});
