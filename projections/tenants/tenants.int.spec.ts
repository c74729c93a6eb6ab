import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toTenantStreamId } from '#domain';
import { type TenantRow, tenantsProjection } from '#projections';
import { ProjectionHarness, aTenantCreated, anId, sqlBackends } from '#testing';

describe.each(sqlBackends())('Tenants projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [tenantsProjection]);
  });
  afterAll(async () => harness.stop());

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
      await harness.runner.catchUp();
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

  describe('When TenantCreated is redelivered', () => {
    it('should leave the row as it was', async () => {
      const tenantId = anId();
      await harness.append(toTenantStreamId(tenantId), [
        aTenantCreated({ tenantId, name: 'Once' }),
      ]);
      await harness.runner.catchUp();
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
