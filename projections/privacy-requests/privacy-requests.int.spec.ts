import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toPrivacyRequestStreamId } from '#domain';
import { type AppendResult, comparePositions } from '#event-store';
import { type PrivacyRequestRow, privacyRequestsProjection } from '#projections';
import { ProjectionHarness, anId, sqlBackends } from '#testing';

import {
  aPrivacyRequestCompleted,
  aPrivacyRequestExtended,
  aPrivacyRequestOpened,
  aPrivacyRequestRejected,
} from '../../libs/testing/src/builders/privacy-request.builders.js';

describe.each(sqlBackends())('Privacy requests projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [privacyRequestsProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (requestId: string): Promise<PrivacyRequestRow | undefined> =>
    (
      await harness.rows<PrivacyRequestRow>(
        'SELECT * FROM privacy_requests WHERE request_id = $1',
        [requestId],
      )
    )[0];

  const iso = (value: unknown): string => (value as Date).toISOString();

  /**
   * Applies the log up to an append. On a shared PostgreSQL server a commit becomes visible to
   * readers only once older transactions (of any database) end, so wait for it before catching up.
   */
  const catchUpTo = async ({ position }: AppendResult): Promise<void> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const head = await harness.store.headPosition();
      if (head && comparePositions(head, position) >= 0) break;
      if (Date.now() > deadline) throw new Error('The append never became visible to readers');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await harness.runner.catchUp();
  };

  describe('When a request is opened, extended and completed', () => {
    it('should follow each step with its status, deadline and revision', async () => {
      const requestId = anId();
      const tenantId = anId();
      const stream = toPrivacyRequestStreamId(requestId);
      await catchUpTo(
        await harness.append(
          stream,
          [
            aPrivacyRequestOpened({
              requestId,
              tenantId,
              kind: 'access',
              regulation: 'gdpr',
              reference: 'ZD#4711',
              receivedAt: '2025-01-31T09:00:00.000Z',
              dueAt: '2025-02-28T09:00:00.000Z',
              openedAt: '2025-02-01T10:00:00.000Z',
              openedBy: 'api-key:k1',
            }),
          ],
          tenantId,
        ),
      );
      const opened = await row(requestId);
      expect(opened).toMatchObject({
        tenant_id: tenantId,
        kind: 'access',
        regulation: 'gdpr',
        subject_type: 'recipient',
        subject_id: null,
        reference: 'ZD#4711',
        status: 'open',
        outcome: null,
        extended: false,
        opened_by: 'api-key:k1',
        closed_at: null,
        closed_by: null,
        last_revision: '0',
      });
      expect(iso(opened?.received_at)).toBe('2025-01-31T09:00:00.000Z');
      expect(iso(opened?.due_at)).toBe('2025-02-28T09:00:00.000Z');
      expect(iso(opened?.created_at)).toBe('2025-02-01T10:00:00.000Z');
      expect(iso(opened?.updated_at)).toBe('2025-02-01T10:00:00.000Z');

      await catchUpTo(
        await harness.append(stream, [
          aPrivacyRequestExtended({
            requestId,
            tenantId,
            dueAt: '2025-04-28T09:00:00.000Z',
            extendedAt: '2025-02-10T10:00:00.000Z',
          }),
        ]),
      );
      const extended = await row(requestId);
      expect(extended).toMatchObject({ status: 'open', extended: true, last_revision: '1' });
      expect(iso(extended?.due_at)).toBe('2025-04-28T09:00:00.000Z');
      expect(iso(extended?.updated_at)).toBe('2025-02-10T10:00:00.000Z');

      await catchUpTo(
        await harness.append(stream, [
          aPrivacyRequestCompleted({
            requestId,
            tenantId,
            outcome: 'exported',
            completedAt: '2025-03-01T12:00:00.000Z',
            completedBy: 'operator:cli',
          }),
        ]),
      );
      const completed = await row(requestId);
      expect(completed).toMatchObject({
        status: 'completed',
        outcome: 'exported',
        extended: true,
        closed_by: 'operator:cli',
        opened_by: 'api-key:k1',
        last_revision: '2',
      });
      expect(iso(completed?.closed_at)).toBe('2025-03-01T12:00:00.000Z');
      expect(iso(completed?.updated_at)).toBe('2025-03-01T12:00:00.000Z');
      expect(iso(completed?.created_at)).toBe('2025-02-01T10:00:00.000Z');
    });
  });

  describe('When a request is rejected', () => {
    it('should close it with the rejection reason as its outcome', async () => {
      const requestId = anId();
      const subjectId = anId();
      const stream = toPrivacyRequestStreamId(requestId);
      await catchUpTo(
        await harness.append(stream, [
          aPrivacyRequestOpened({
            requestId,
            kind: 'erasure',
            regulation: 'ccpa',
            subjectType: 'account',
            subjectId,
            reference: null,
          }),
          aPrivacyRequestRejected({
            requestId,
            reason: 'identity_not_verified',
            rejectedAt: '2025-01-05T08:00:00.000Z',
            rejectedBy: 'operator:support',
          }),
        ]),
      );
      const rejected = await row(requestId);
      expect(rejected).toMatchObject({
        regulation: 'ccpa',
        subject_type: 'account',
        subject_id: subjectId,
        reference: null,
        status: 'rejected',
        outcome: 'identity_not_verified',
        extended: false,
        closed_by: 'operator:support',
        last_revision: '1',
      });
      expect(iso(rejected?.due_at)).toBe('2025-02-15T10:00:00.000Z');
      expect(iso(rejected?.closed_at)).toBe('2025-01-05T08:00:00.000Z');
    });
  });

  describe('When events are redelivered', () => {
    it('should leave the row as it was', async () => {
      const requestId = anId();
      const stream = toPrivacyRequestStreamId(requestId);
      await catchUpTo(
        await harness.append(stream, [
          aPrivacyRequestOpened({ requestId }),
          aPrivacyRequestExtended({ requestId }),
          aPrivacyRequestCompleted({ requestId, outcome: 'erased' }),
        ]),
      );
      const before = await row(requestId);
      const events = await harness.store.readStream(stream);
      // Deliver the whole stream again, then its opening alone, as a restarted subscription would.
      const client = await harness.pool.connect();
      try {
        await client.query('BEGIN');
        const sql = {
          query: async <R>(q: string, p?: unknown[]) => (await client.query(q, p)).rows as R[],
        };
        await privacyRequestsProjection.apply(events, sql, {
          privacy_requests: 'privacy_requests',
        });
        await privacyRequestsProjection.apply(events.slice(0, 1), sql, {
          privacy_requests: 'privacy_requests',
        });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      expect(await row(requestId)).toEqual(before);
      expect(before).toMatchObject({
        status: 'completed',
        outcome: 'erased',
        extended: true,
        last_revision: '2',
      });
    });
  });

  describe('When its table is created', () => {
    it('should have the tenant paging and deadline indexes', async () => {
      const indexes = await harness.rows<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE tablename = 'privacy_requests' ORDER BY indexname`,
      );
      const definitions = indexes.map((i) => i.indexdef).join('\n');
      expect(definitions).toContain('(tenant_id, received_at DESC, request_id DESC)');
      expect(definitions).toContain('(tenant_id, status, due_at)');
    });
  });

  describe('When the projection is rebuilt from zero', () => {
    it('should give identical tables twice and keep serving live events afterwards', async () => {
      const tenantId = anId();
      for (let i = 0; i < 30; i++) {
        const requestId = anId();
        await harness.append(toPrivacyRequestStreamId(requestId), [
          aPrivacyRequestOpened({ requestId, tenantId, regulation: i % 2 ? 'gdpr' : 'ccpa' }),
          ...(i % 3 === 0 ? [aPrivacyRequestExtended({ requestId, tenantId })] : []),
          ...(i % 5 === 0 ? [aPrivacyRequestCompleted({ requestId, tenantId })] : []),
          ...(i % 7 === 1 ? [aPrivacyRequestRejected({ requestId, tenantId })] : []),
        ]);
      }
      await harness.runner.start();
      const head = await harness.store.headPosition();
      expect(await harness.runner.waitFor(head!, ['privacy-requests'], 10_000)).toBe(true);
      const snapshot = async () =>
        harness.rows('SELECT * FROM privacy_requests ORDER BY request_id');
      const live = await snapshot();

      const first = await harness.runner.rebuild('privacy-requests');
      expect(first.events).toBeGreaterThanOrEqual(40);
      const afterFirst = await snapshot();
      await harness.runner.rebuild('privacy-requests');
      expect(await snapshot()).toEqual(afterFirst);
      expect(afterFirst).toEqual(live);

      const requestId = anId();
      const appended = await harness.append(toPrivacyRequestStreamId(requestId), [
        aPrivacyRequestOpened({ requestId, tenantId }),
      ]);
      expect(await harness.runner.waitFor(appended.position, ['privacy-requests'], 10_000)).toBe(
        true,
      );
      expect(await row(requestId)).toMatchObject({ status: 'open', tenant_id: tenantId });
      const [lag] = await harness.runner.lag();
      expect(lag).toMatchObject({ name: 'privacy-requests', eventsBehind: 0 });
      await harness.runner.stop();
    });
  });
});
