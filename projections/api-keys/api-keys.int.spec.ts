import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toTenantStreamId } from '#domain';
import { type ApiKeyRow, apiKeysProjection } from '#projections';
import {
  ProjectionHarness,
  aTenantCreated,
  anApiKeyIssued,
  anApiKeyRevoked,
  anId,
  sqlBackends,
} from '#testing';

describe.each(sqlBackends())('API keys projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [apiKeysProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (keyId: string) =>
    (await harness.rows<ApiKeyRow>('SELECT * FROM api_keys WHERE key_id = $1', [keyId]))[0];

  describe('When keys are issued and one is revoked', () => {
    it('should hold each key hash with its role, and mark the revoked one', async () => {
      const tenantId = anId();
      const [kept, revoked] = [anId(), anId()];
      await harness.append(toTenantStreamId(tenantId), [
        aTenantCreated({ tenantId }),
        anApiKeyIssued({ tenantId, keyId: kept, role: 'owner' }),
        anApiKeyIssued({ tenantId, keyId: revoked, role: 'viewer' }),
        anApiKeyRevoked({ tenantId, keyId: revoked }),
      ]);
      await harness.runner.catchUp();
      expect(await row(kept)).toMatchObject({
        tenant_id: tenantId,
        role: 'owner',
        revoked_at: null,
        last_revision: '1',
      });
      expect((await row(revoked))?.revoked_at).toBeInstanceOf(Date);
    });
  });

  describe('When events are redelivered', () => {
    it('should not resurrect a revoked key', async () => {
      const tenantId = anId();
      const keyId = anId();
      const stream = toTenantStreamId(tenantId);
      await harness.append(stream, [
        aTenantCreated({ tenantId }),
        anApiKeyIssued({ tenantId, keyId }),
        anApiKeyRevoked({ tenantId, keyId }),
      ]);
      await harness.runner.catchUp();
      const before = await row(keyId);
      const events = await harness.store.readStream(stream);
      await apiKeysProjection.apply(
        events.slice(1, 2),
        {
          query: async <R>(q: string, p?: unknown[]) =>
            (await harness.pool.query(q, p)).rows as R[],
        },
        { api_keys: 'api_keys' },
      );
      expect(await row(keyId)).toEqual(before);
      expect(before?.revoked_at).not.toBeNull();
    });
  });
});
