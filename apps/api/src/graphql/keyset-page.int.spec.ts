import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toCampaignStreamId } from '#domain';
import { CampaignEntity, ContactListEntity, campaignsProjection } from '#projections';
import {
  ProjectionHarness,
  aCampaignDrafted,
  aCampaignScheduled,
  anId,
  sqlBackends,
} from '#testing';

import { newestFirstPage, withStatementOnce } from './keyset-page.js';

/**
 * Pages of a read model with their SQL written once per shape: every shape must still get its own
 * statement, with this request's values.
 */
describe.each(sqlBackends())('Newest-first pages on %s', (backend) => {
  let harness: ProjectionHarness;
  const tenantId = anId();
  const otherTenant = anId();
  let newestFirst: string[];
  let scheduled: Set<string>;

  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [campaignsProjection]);
    const ids = Array.from({ length: 7 }, () => anId());
    for (const [i, campaignId] of ids.entries()) {
      await harness.append(toCampaignStreamId(campaignId), [
        aCampaignDrafted({ campaignId, tenantId, name: `Campaign ${i}` }),
        ...(i % 2 === 0 ? [aCampaignScheduled({ campaignId, tenantId })] : []),
      ]);
    }
    const foreign = anId();
    await harness.append(toCampaignStreamId(foreign), [
      aCampaignDrafted({ campaignId: foreign, tenantId: otherTenant }),
    ]);
    await harness.runner.catchUp();
    const rows = await harness.rows<{ campaign_id: string; status: string }>(
      `SELECT campaign_id, status FROM campaigns WHERE tenant_id = $1
       ORDER BY created_at DESC, campaign_id DESC`,
      [tenantId],
    );
    newestFirst = rows.map((r) => r.campaign_id);
    scheduled = new Set(rows.filter((r) => r.status === 'SCHEDULED').map((r) => r.campaign_id));
  });
  afterAll(async () => harness.stop());

  const campaigns = (tenant: string, options: { status?: string; columns?: string[] } = {}) => {
    const query = harness.dataSource
      .createQueryBuilder(CampaignEntity, 'c')
      .where('c.tenant_id = :tenant', { tenant });
    if (options.columns) query.select(options.columns.map((column) => `c.${column}`));
    if (options.status) query.andWhere('c.status = :status', { status: options.status });
    return query;
  };
  const idsOf = (rows: CampaignEntity[]) => rows.map((r) => r.campaignId);

  describe('Given the same shape asked again with other values', () => {
    it('should answer each request with its own tenant, cursor and limit', async () => {
      expect(
        idsOf(await newestFirstPage(campaigns(tenantId), 'campaign_id', 2, undefined)),
      ).toEqual(newestFirst.slice(0, 3));
      const [, second] = await newestFirstPage(campaigns(tenantId), 'campaign_id', 2, undefined);
      const after = { createdAt: second!.createdAt, id: second!.campaignId };
      expect(idsOf(await newestFirstPage(campaigns(tenantId), 'campaign_id', 2, after))).toEqual(
        newestFirst.slice(2, 5),
      );
      expect(idsOf(await newestFirstPage(campaigns(tenantId), 'campaign_id', 2, after))).toEqual(
        newestFirst.slice(2, 5),
      );
      const foreign = await newestFirstPage(campaigns(otherTenant), 'campaign_id', 2, undefined);
      expect(foreign.map((r) => r.tenantId)).toEqual([otherTenant]);
    });
  });

  describe('Given shapes that differ in a condition or in their columns', () => {
    it('should give each its own statement', async () => {
      const all = await newestFirstPage(campaigns(tenantId), 'campaign_id', 50, undefined);
      const onlyScheduled = await newestFirstPage(
        campaigns(tenantId, { status: 'SCHEDULED' }),
        'campaign_id',
        50,
        undefined,
      );
      const again = await newestFirstPage(campaigns(tenantId), 'campaign_id', 50, undefined);
      expect(idsOf(all)).toEqual(newestFirst);
      expect(idsOf(onlyScheduled)).toEqual(newestFirst.filter((id) => scheduled.has(id)));
      expect(idsOf(again)).toEqual(newestFirst);

      const narrow = await newestFirstPage(
        campaigns(tenantId, { columns: ['campaignId', 'createdAt', 'name'] }),
        'campaign_id',
        50,
        undefined,
      );
      expect(narrow[0]).toMatchObject({ campaignId: newestFirst[0], name: expect.any(String) });
      expect(narrow[0]!.subject).toBeUndefined();
      expect(
        (await newestFirstPage(campaigns(tenantId), 'campaign_id', 50, undefined))[0]!.subject,
      ).toEqual(expect.any(String));
    });

    it('should write the statement TypeORM writes for that shape', () => {
      const shaped = () =>
        campaigns(tenantId, { status: 'DRAFT' }).orderBy('c.created_at', 'DESC').limit(3);
      const fresh = shaped().getQuery();
      expect(withStatementOnce(shaped()).getQuery()).toBe(fresh);
      expect(withStatementOnce(shaped()).getQuery()).toBe(fresh);
    });
  });

  describe('Given a builder the shape cannot describe (a join)', () => {
    it('should leave it as it is', () => {
      const joined = campaigns(tenantId).innerJoin(
        ContactListEntity,
        'l',
        'l.tenant_id = c.tenant_id',
      );
      expect(withStatementOnce(joined)).toBe(joined);
      expect(Object.hasOwn(joined, 'getQuery')).toBe(false);
    });
  });
});
