import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toCampaignStreamId, toRecipientStreamId } from '#domain';
import { formatPosition } from '#event-store';
import {
  ProjectionHarness,
  aCampaignCancelled,
  aCampaignDrafted,
  aCampaignRevised,
  aCampaignPaused,
  aCampaignQueued,
  aCampaignScheduled,
  aCampaignStarted,
  anId,
  sqlBackends,
} from '#testing';
import { type CampaignRow, campaignsProjection } from '#projections';

import { aRecipientAdded } from '../../libs/testing/src/builders/recipient.builders.js';

describe.each(sqlBackends())('Campaigns projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [campaignsProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (campaignId: string): Promise<CampaignRow | undefined> =>
    (
      await harness.rows<CampaignRow>('SELECT * FROM campaigns WHERE campaign_id = $1', [
        campaignId,
      ])
    )[0];

  describe('When a campaign is drafted, revised, scheduled and cancelled', () => {
    it('should follow every step with its status, schedule and revision', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const stream = toCampaignStreamId(campaignId);
      await harness.append(stream, [
        aCampaignDrafted({ campaignId, tenantId, name: 'Spring sale' }),
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({
        status: 'DRAFT',
        name: 'Spring sale',
        last_revision: '0',
        tenant_id: tenantId,
      });

      await harness.append(stream, [
        aCampaignRevised({ campaignId, tenantId, changes: { subject: 'Now 20% off' } }),
      ]);
      const sendAt = '2030-05-01T08:00:00.000Z';
      await harness.append(stream, [aCampaignScheduled({ campaignId, tenantId, sendAt })]);
      await harness.runner.catchUp();
      const scheduled = await row(campaignId);
      expect(scheduled).toMatchObject({
        status: 'SCHEDULED',
        name: 'Spring sale',
        subject: 'Now 20% off',
        last_revision: '2',
      });
      expect((scheduled!.send_at as Date).toISOString()).toBe(sendAt);

      await harness.append(stream, [
        aCampaignCancelled({ campaignId, tenantId, reason: 'Changed plans' }),
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({
        status: 'CANCELLED',
        cancel_reason: 'Changed plans',
        last_revision: '3',
      });
    });
  });

  describe('When an event is redelivered', () => {
    it('should leave the row as it was', async () => {
      const campaignId = anId();
      const stream = toCampaignStreamId(campaignId);
      await harness.append(stream, [
        aCampaignDrafted({ campaignId }),
        aCampaignRevised({ campaignId, changes: { name: 'Second' } }),
      ]);
      await harness.runner.catchUp();
      const before = await row(campaignId);
      const events = await harness.store.readStream(stream);
      // Deliver the whole stream again, oldest first, as a restarted subscription would.
      const client = await harness.pool.connect();
      try {
        await client.query('BEGIN');
        await campaignsProjection.apply(
          events,
          { query: async <R>(q: string, p?: unknown[]) => (await client.query(q, p)).rows as R[] },
          { campaigns: 'campaigns' },
        );
        await campaignsProjection.apply(
          events.slice(0, 1),
          { query: async <R>(q: string, p?: unknown[]) => (await client.query(q, p)).rows as R[] },
          { campaigns: 'campaigns' },
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      expect(await row(campaignId)).toEqual(before);
      expect(before).toMatchObject({ name: 'Second', last_revision: '1' });
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give identical tables twice and keep serving live events afterwards', async () => {
      const tenantId = anId();
      for (let i = 0; i < 30; i++) {
        const campaignId = anId();
        await harness.append(toCampaignStreamId(campaignId), [
          aCampaignDrafted({ campaignId, tenantId, name: `Campaign ${i}` }),
          ...(i % 3 === 0 ? [aCampaignScheduled({ campaignId, tenantId })] : []),
        ]);
      }
      await harness.runner.start();
      const head = await harness.store.headPosition();
      expect(await harness.runner.waitFor(head!, ['campaigns'], 10_000)).toBe(true);
      const snapshot = async () => harness.rows('SELECT * FROM campaigns ORDER BY campaign_id');
      const live = await snapshot();

      const first = await harness.runner.rebuild('campaigns');
      expect(first.events).toBeGreaterThanOrEqual(40);
      const afterFirst = await snapshot();
      await harness.runner.rebuild('campaigns');
      expect(await snapshot()).toEqual(afterFirst);
      expect(afterFirst).toEqual(live);

      const campaignId = anId();
      const appended = await harness.append(toCampaignStreamId(campaignId), [
        aCampaignDrafted({ campaignId, tenantId }),
      ]);
      expect(await harness.runner.waitFor(appended.position, ['campaigns'], 10_000)).toBe(true);
      expect(await row(campaignId)).toMatchObject({ status: 'DRAFT' });
      const [lag] = await harness.runner.lag();
      expect(lag).toMatchObject({ name: 'campaigns', eventsBehind: 0 });
      await harness.runner.stop();
    });
  });

  describe('When a campaign sends a template revision', () => {
    it('should keep the pinned revision and follow a move and a detach', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const templateId = anId();
      const stream = toCampaignStreamId(campaignId);
      await harness.append(stream, [
        aCampaignDrafted({ campaignId, tenantId, template: { templateId, revision: 1 } }),
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({
        template_id: templateId,
        template_revision: 1,
      });

      await harness.append(stream, [
        aCampaignRevised({ campaignId, tenantId, changes: { subject: 'New subject' } }),
        aCampaignRevised({
          campaignId,
          tenantId,
          changes: { template: { templateId, revision: 3 } },
        }),
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({
        template_id: templateId,
        template_revision: 3,
      });

      await harness.append(stream, [
        aCampaignRevised({ campaignId, tenantId, changes: { template: null } }),
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({ template_id: null, template_revision: null });
    });

    it('should have no template for a campaign drafted without one', async () => {
      const campaignId = anId();
      await harness.append(toCampaignStreamId(campaignId), [aCampaignDrafted({ campaignId })]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({ template_id: null, template_revision: null });
    });
  });

  describe('When the log fills with events the projection does not handle', () => {
    const checkpoint = async () =>
      (
        await harness.rows<{ position: string | null }>(
          `SELECT position FROM mp_projection_checkpoints WHERE name = 'campaigns'`,
        )
      )[0]?.position;

    it('should move its checkpoint past them once, and still apply what comes next (live loop)', async () => {
      await harness.runner.catchUp();
      const tenantId = anId();
      for (let i = 0; i < 40; i++) {
        await harness.append(toRecipientStreamId(anId()), [aRecipientAdded({ tenantId })]);
      }
      const head = (await harness.store.headPosition())!;
      expect(await harness.runner.waitFor(head, ['campaigns'], 10_000)).toBe(true);
      expect(await checkpoint()).toBe(formatPosition(head));

      await harness.runner.start();
      const campaignId = anId();
      const appended = await harness.append(toCampaignStreamId(campaignId), [
        aCampaignDrafted({ campaignId, tenantId }),
      ]);
      expect(await harness.runner.waitFor(appended.position, ['campaigns'], 10_000)).toBe(true);
      expect(await row(campaignId)).toMatchObject({ status: 'DRAFT' });
      expect(await checkpoint()).toBe(formatPosition(appended.position));
      await harness.runner.stop();
    });

    it('should move it in a catch-up too', async () => {
      await harness.runner.catchUp();
      for (let i = 0; i < 10; i++) {
        await harness.append(toRecipientStreamId(anId()), [aRecipientAdded()]);
      }
      await harness.runner.catchUp(['campaigns']);
      expect(await checkpoint()).toBe(formatPosition((await harness.store.headPosition())!));
    });
  });
  describe('When a campaign is launched, queued, paused and resumed', () => {
    it('should show SENDING with its frozen audience, then PAUSED and SENDING again', async () => {
      const campaignId = anId();
      const tenantId = anId();
      const stream = toCampaignStreamId(campaignId);
      const audience = {
        listIds: [anId()],
        recipients: 7,
        excluded: {
          suppressed: 1,
          unsubscribed: 2,
          restricted: 0,
          objected: 0,
          erased: 0,
          pending: 1,
        },
      };
      await harness.append(stream, [
        aCampaignDrafted({ campaignId, tenantId }),
        aCampaignStarted({ campaignId, tenantId, startedAt: '2030-05-01T08:00:00.000Z', audience }),
      ]);
      await harness.runner.catchUp();
      const sending = await row(campaignId);
      expect(sending).toMatchObject({
        status: 'SENDING',
        audience,
        queued_at: null,
        queued_messages: null,
      });
      expect((sending!.started_at as Date).toISOString()).toBe('2030-05-01T08:00:00.000Z');

      await harness.append(stream, [
        aCampaignQueued({ campaignId, tenantId, messages: 7 }),
        aCampaignPaused({ campaignId, tenantId }),
      ]);
      await harness.runner.catchUp();
      const paused = await row(campaignId);
      expect(paused).toMatchObject({ status: 'PAUSED', queued_messages: 7, last_revision: '3' });
      expect(paused!.paused_at).not.toBeNull();

      await harness.append(stream, [
        {
          type: 'CampaignResumed',
          data: { campaignId, tenantId, resumedAt: '2030-05-01T09:00:00.000Z' },
        },
      ]);
      await harness.runner.catchUp();
      expect(await row(campaignId)).toMatchObject({
        status: 'SENDING',
        paused_at: null,
        last_revision: '4',
      });
    });
  });
});
