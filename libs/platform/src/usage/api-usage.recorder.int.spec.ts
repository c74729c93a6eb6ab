import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { ProjectionHarness, anId, sqlBackends } from '#testing';

import { ApiUsageRecorder } from './api-usage.recorder.js';

describe.each(sqlBackends())('API usage recorder on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, []);
  });
  afterAll(async () => harness.stop());

  const recorder = () => new ApiUsageRecorder(harness.pool, { flushMs: 0, retentionDays: 30 });
  const at = (iso: string) => new Date(iso);

  describe('Given operations served for two tenants over two days', () => {
    it('should count requests, cost and errors per caller, operation and UTC day, and add up flushes', async () => {
      const usage = recorder();
      const [tenant, other] = [anId(), anId()];
      const key = `api-key:${anId()}`;
      const sample = { tenantId: tenant, caller: key, operation: 'campaigns', failed: false };
      usage.record({ ...sample, cost: 51, at: at('2026-11-28T23:59:59Z') });
      usage.record({ ...sample, cost: 51, at: at('2026-11-29T00:00:00Z') });
      usage.record({ ...sample, cost: 10, failed: true, at: at('2026-11-29T12:00:00Z') });
      usage.record({ ...sample, tenantId: other, cost: 5, at: at('2026-11-29T12:00:00Z') });
      await usage.flush();
      usage.record({ ...sample, cost: 1, at: at('2026-11-29T13:00:00Z') });

      expect(await usage.usage(tenant, { from: '2026-11-01', to: '2026-11-30' })).toEqual([
        {
          day: '2026-11-29',
          caller: key,
          operation: 'campaigns',
          requests: 3,
          cost: 62,
          errors: 1,
        },
        {
          day: '2026-11-28',
          caller: key,
          operation: 'campaigns',
          requests: 1,
          cost: 51,
          errors: 0,
        },
      ]);
      expect(
        await usage.usage(tenant, { from: '2026-11-29', to: '2026-11-29', caller: 'x' }),
      ).toEqual([]);
      expect(await usage.usage(other, { from: '2026-11-29', to: '2026-11-29' })).toHaveLength(1);
    });
  });

  describe('Given rows older than the retention period', () => {
    it('should drop them on the next flush', async () => {
      const usage = recorder();
      const tenant = anId();
      const old = new Date(Date.now() - 40 * 86_400_000);
      usage.record({
        tenantId: tenant,
        caller: 'api-key:x',
        operation: 'viewer',
        cost: 1,
        failed: false,
        at: old,
      });
      usage.record({
        tenantId: tenant,
        caller: 'api-key:x',
        operation: 'viewer',
        cost: 1,
        failed: false,
        at: new Date(),
      });
      await usage.flush(); // writes both, then prunes the old one
      const rows = await usage.usage(tenant, { from: '2000-01-01', to: '2100-01-01' });
      expect(rows.map((r) => r.day)).toEqual([new Date().toISOString().slice(0, 10)]);
    });
  });
});
