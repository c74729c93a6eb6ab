import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toTenantStreamId } from '#domain';
import { type TenantRow, tenantsProjection } from '#projections';
import {
  ProjectionHarness,
  aTenantCreated,
  aTenantSendingPaused,
  aTenantSendingResumed,
  anId,
  sqlBackends,
} from '#testing';

describe.each(sqlBackends())('Tenants projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [tenantsProjection]);
  });
  afterAll(async () => harness.stop());

  /**
   * `catchUp` until every event committed so far is applied: on a shared PostgreSQL server, an
   * open transaction in another database hides the newest commits from a catch-up for a moment.
   */
  const caughtUp = async (): Promise<void> => {
    const position = await harness.store.lastCommittedPosition();
    for (const deadline = Date.now() + 10_000; ;) {
      await harness.runner.catchUp();
      if (!position || (await harness.runner.waitFor(position, undefined, 0))) return;
      if (Date.now() > deadline) throw new Error('the projections did not catch up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const row = async (tenantId: string) =>
    (await harness.rows<TenantRow>('SELECT * FROM tenants WHERE tenant_id = $1', [tenantId]))[0];

  describe('When a tenant is created', () => {
    it('should list it with its plan and keep the owner fields exactly as stored (ciphertext)', async () => {
      const tenantId = anId();
      const accountId = anId();
      const sealed = { $pii: 1, s: accountId, c: 'c2VhbGVk' };
      await harness.append(toTenantStreamId(tenantId), [
        aTenantCreated({
          tenantId,
          name: 'Acme',
          plan: 'pro',
          owner: { accountId, email: sealed as never, name: null },
        }),
      ]);
      await caughtUp();
      expect(await row(tenantId)).toMatchObject({
        name: 'Acme',
        plan: 'pro',
        owner_account_id: accountId,
        owner_email: sealed,
        owner_name: null,
        last_revision: '0',
      });
    });
  });

  describe('When its sending is paused and resumed', () => {
    it('should keep the time of the pause and its figures, then only the resume time', async () => {
      const tenantId = anId();
      const stream = toTenantStreamId(tenantId);
      await harness.append(stream, [
        aTenantCreated({ tenantId }),
        aTenantSendingPaused({
          tenantId,
          reason: 'bounce_rate',
          rate: 0.125,
          threshold: 0.1,
          windowHours: 24,
          messages: 160,
          pausedAt: '2025-01-02T08:15:00.000Z',
        }),
      ]);
      await caughtUp();
      const paused = await row(tenantId);
      expect((paused!.sending_paused_at as Date).toISOString()).toBe('2025-01-02T08:15:00.000Z');
      expect(paused).toMatchObject({
        sending_pause: {
          reason: 'bounce_rate',
          rate: 0.125,
          threshold: 0.1,
          windowHours: 24,
          messages: 160,
        },
        last_revision: '1',
      });

      await harness.append(stream, [
        aTenantSendingResumed({ tenantId, resumedAt: '2025-01-02T09:40:00.000Z' }),
      ]);
      await caughtUp();
      expect(await row(tenantId)).toMatchObject({
        sending_paused_at: null,
        sending_pause: { resumedAt: '2025-01-02T09:40:00.000Z' },
        last_revision: '2',
      });
    });

    it('should keep a manual pause with no figures', async () => {
      const tenantId = anId();
      await harness.append(toTenantStreamId(tenantId), [
        aTenantCreated({ tenantId }),
        aTenantSendingPaused({
          tenantId,
          reason: 'manual',
          rate: null,
          threshold: null,
          windowHours: null,
          messages: null,
        }),
      ]);
      await caughtUp();
      expect((await row(tenantId))!.sending_pause).toEqual({
        reason: 'manual',
        rate: null,
        threshold: null,
        windowHours: null,
        messages: null,
      });
    });

    it('should leave the row as it was when the pause is redelivered after the resume', async () => {
      const tenantId = anId();
      const stream = toTenantStreamId(tenantId);
      await harness.append(stream, [
        aTenantCreated({ tenantId }),
        aTenantSendingPaused({ tenantId }),
        aTenantSendingResumed({ tenantId }),
      ]);
      await caughtUp();
      const before = await row(tenantId);
      const events = await harness.store.readStream(stream);
      await tenantsProjection.apply(
        events.slice(1, 2),
        {
          query: async <R>(q: string, p?: unknown[]) =>
            (await harness.pool.query(q, p)).rows as R[],
        },
        { tenants: 'tenants' },
      );
      expect(await row(tenantId)).toEqual(before);
      expect(before).toMatchObject({ sending_paused_at: null });
    });
  });

  describe('When TenantCreated is redelivered', () => {
    it('should leave the row as it was', async () => {
      const tenantId = anId();
      await harness.append(toTenantStreamId(tenantId), [
        aTenantCreated({ tenantId, name: 'Once' }),
      ]);
      await caughtUp();
      const before = await row(tenantId);
      const events = await harness.store.readStream(toTenantStreamId(tenantId));
      await tenantsProjection.apply(
        events,
        {
          query: async <R>(q: string, p?: unknown[]) =>
            (await harness.pool.query(q, p)).rows as R[],
        },
        { tenants: 'tenants' },
      );
      expect(await row(tenantId)).toEqual(before);
    });
  });
});
