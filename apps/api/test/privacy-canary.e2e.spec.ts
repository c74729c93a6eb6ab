import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { ERASED } from '#privacy';
import { sqlBackends, tablesHoldingMarker } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const VIEWER = '{ viewer { tenant { name owner { id email name } } } }';

/**
 * Canary: unique markers go through the real product path (operator creates a tenant with an
 * owner, events, read models, GraphQL). Every table is scanned for them before and after the
 * owner's key is shredded.
 */
describe.each(sqlBackends())('Personal data canary (%s)', (backend) => {
  let api: ApiTestApp;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
  });
  afterAll(async () => api.stop());

  describe('When an owner account is created and later erased', () => {
    it('should never hold the owner email or name in plaintext, and read [erased] after shredding', async () => {
      const emailMarker = `canary-${randomUUID()}@example.test`;
      const nameMarker = `Canary ${randomUUID()}`;
      const created = await api.runtime.tenants.createTenant({
        name: 'Canary Corp',
        owner: { email: emailMarker, name: nameMarker },
        actor: 'test:operator',
      });
      await api.runtime.projections.waitFor(created.position!, undefined, 10_000);

      type ViewerResult = {
        viewer: { tenant: { owner: { id: string; email: string; name: string } } };
      };
      const before = await api.graphql<ViewerResult>(VIEWER, {}, created.apiKey);
      expect(before.data?.viewer.tenant.owner).toMatchObject({
        email: emailMarker,
        name: nameMarker,
      });

      // Meant to be read through the API, never stored in plaintext: events and read models alike.
      expect(await tablesHoldingMarker(api.runtime.pool, emailMarker)).toEqual([]);
      expect(await tablesHoldingMarker(api.runtime.pool, nameMarker)).toEqual([]);

      await api.runtime.vault.shred(before.data!.viewer.tenant.owner.id);

      const after = await api.graphql<ViewerResult>(VIEWER, {}, created.apiKey);
      expect(after.data?.viewer.tenant.owner).toMatchObject({ email: ERASED, name: ERASED });
      await api.runtime.projections.rebuild('tenants');
      const rebuilt = await api.graphql<ViewerResult>(VIEWER, {}, created.apiKey);
      expect(rebuilt.data?.viewer.tenant.owner).toMatchObject({ email: ERASED, name: ERASED });

      expect(await tablesHoldingMarker(api.runtime.pool, emailMarker)).toEqual([]);
      expect(await tablesHoldingMarker(api.runtime.pool, nameMarker)).toEqual([]);
      // History stays replayable and tamper-evident: shredding a key never breaks the chain.
      expect((await api.runtime.store.verifyChain()).ok).toBe(true);
    });
  });
});
