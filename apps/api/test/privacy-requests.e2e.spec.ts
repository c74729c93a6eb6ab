import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const REQUEST = `id kind regulation subjectType subjectId reference status outcome receivedAt dueAt overdue extended openedBy closedAt closedBy`;
const OPEN = `mutation($input: OpenPrivacyRequestInput!) { openPrivacyRequest(input: $input) { ${REQUEST} } }`;
const REJECT = `mutation($input: RejectPrivacyRequestInput!) { rejectPrivacyRequest(input: $input) { ${REQUEST} } }`;
const EXTEND = `mutation($input: ExtendPrivacyRequestInput!) { extendPrivacyRequest(input: $input) { ${REQUEST} } }`;
const GET = `query($id: ID!) { privacyRequest(id: $id) { ${REQUEST} } }`;
const LIST = `query($status: PrivacyRequestStatus, $overdue: Boolean) { privacyRequests(first: 100, status: $status, overdue: $overdue) {
  edges { node { ${REQUEST} } } } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { receipt { requestId } } }`;
const EXPORT = `mutation($input: DataSubjectRequestInput!) { exportRecipientData(input: $input) { recipientId } }`;
const RESTRICT = `mutation($input: DataSubjectRequestInput!) { restrictRecipient(input: $input) { restricted } }`;

const DAY = 24 * 3600 * 1000;

interface RequestView {
  id: string;
  kind: string;
  regulation: string;
  subjectId: string | null;
  status: string;
  outcome: string | null;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
  extended: boolean;
  closedAt: string | null;
}

describe.each(sqlBackends())('Privacy request tracking (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let otherKey: string;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey } = await api.createTenant('Requests Ltd'));
    ({ apiKey: otherKey } = await api.createTenant('Other Requests Ltd'));
  });
  afterAll(async () => api.stop());

  const ok = async <T>(
    query: string,
    variables: Record<string, unknown>,
    key = apiKey,
  ): Promise<T> => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const add = async () =>
    (
      await ok<{ addRecipient: { id: string } }>(ADD, {
        input: { email: `dsr.${randomUUID()}@example.org` },
      })
    ).addRecipient.id;

  describe('When support logs a request that arrived earlier and acts on it later', () => {
    it('should run the legal clock from the received time and close the request with the action', async () => {
      const recipientId = await add();
      const receivedAt = new Date(Date.now() - 10 * 24 * 3600 * 1000);
      const opened = (
        await ok<{ openPrivacyRequest: RequestView }>(OPEN, {
          input: {
            kind: 'ERASURE',
            regulation: 'GDPR',
            recipientId,
            reference: 'TICKET-7',
            receivedAt: receivedAt.toISOString(),
          },
        })
      ).openPrivacyRequest;
      const due = new Date(receivedAt);
      due.setUTCMonth(due.getUTCMonth() + 1);
      expect(opened).toMatchObject({
        kind: 'ERASURE',
        regulation: 'GDPR',
        subjectId: recipientId,
        status: 'OPEN',
        overdue: false,
      });
      expect(new Date(opened.dueAt).getTime()).toBeGreaterThanOrEqual(
        due.getTime() - 3 * 24 * 3600 * 1000,
      );
      expect(new Date(opened.dueAt).getTime()).toBeLessThanOrEqual(due.getTime());

      const erased = await ok<{ eraseRecipient: { receipt: { requestId: string } } }>(ERASE, {
        input: { id: recipientId, basis: 'GDPR_ART17', requestId: opened.id },
      });
      expect(erased.eraseRecipient.receipt.requestId).toBe(opened.id);
      const closed = (await ok<{ privacyRequest: RequestView }>(GET, { id: opened.id }))
        .privacyRequest;
      expect(closed).toMatchObject({
        status: 'COMPLETED',
        outcome: 'erased',
        closedAt: expect.any(String),
      });
    });

    it('should give a CCPA request 45 days, and extend it once', async () => {
      const receivedAt = new Date(Math.floor((Date.now() - 5 * DAY) / 1000) * 1000);
      const opened = (
        await ok<{ openPrivacyRequest: RequestView }>(OPEN, {
          input: {
            kind: 'ACCESS',
            regulation: 'CCPA',
            recipientId: await add(),
            receivedAt: receivedAt.toISOString(),
          },
        })
      ).openPrivacyRequest;
      expect(opened.dueAt).toBe(new Date(receivedAt.getTime() + 45 * DAY).toISOString());
      const extended = (
        await ok<{ extendPrivacyRequest: RequestView }>(EXTEND, {
          input: { id: opened.id, reason: 'complex_request' },
        })
      ).extendPrivacyRequest;
      expect(extended).toMatchObject({
        extended: true,
        dueAt: new Date(receivedAt.getTime() + 90 * DAY).toISOString(),
      });
      const again = await api.graphql(
        EXTEND,
        { input: { id: opened.id, reason: 'complex_request' } },
        apiKey,
      );
      expect(again.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'PRIVACY_REQUEST_ALREADY_EXTENDED',
      });
    });
  });

  describe('When a data-subject action comes without a request', () => {
    it('should record it as a request received and completed at once', async () => {
      const recipientId = await add();
      await ok(EXPORT, { input: { id: recipientId, regulation: 'CCPA', reference: 'WEB-99' } });
      await ok(RESTRICT, { input: { id: recipientId } });
      const { privacyRequests } = await ok<{
        privacyRequests: { edges: Array<{ node: RequestView }> };
      }>(LIST, { status: 'COMPLETED' });
      const mine = privacyRequests.edges
        .map((e) => e.node)
        .filter((r) => r.subjectId === recipientId);
      expect(mine.map((r) => [r.kind, r.regulation, r.outcome]).sort()).toEqual([
        ['ACCESS', 'CCPA', 'exported'],
        ['RESTRICTION', 'GDPR', 'restricted'],
      ]);
    });
  });

  describe('When a request is rejected, overdue or wrong', () => {
    it('should show overdue requests, refuse closed ones and bad input, and hide other tenants’ requests', async () => {
      const old = new Date(Date.now() - 40 * 24 * 3600 * 1000).toISOString();
      const overdue = (
        await ok<{ openPrivacyRequest: RequestView }>(OPEN, {
          input: { kind: 'ACCESS', regulation: 'GDPR', recipientId: await add(), receivedAt: old },
        })
      ).openPrivacyRequest;
      expect(overdue.overdue).toBe(true);
      const listed = await ok<{ privacyRequests: { edges: Array<{ node: RequestView }> } }>(LIST, {
        overdue: true,
      });
      expect(listed.privacyRequests.edges.map((e) => e.node.id)).toContain(overdue.id);

      const rejected = (
        await ok<{ rejectPrivacyRequest: RequestView }>(REJECT, {
          input: { id: overdue.id, reason: 'IDENTITY_NOT_VERIFIED' },
        })
      ).rejectPrivacyRequest;
      expect(rejected).toMatchObject({ status: 'REJECTED', outcome: 'identity_not_verified' });
      const late = await api.graphql(
        EXPORT,
        { input: { id: overdue.id, requestId: overdue.id } },
        apiKey,
      );
      expect(late.errors?.[0]?.extensions?.code).toBeDefined();
      const recipientId = await add();
      const closed = await api.graphql(
        RESTRICT,
        { input: { id: recipientId, requestId: overdue.id } },
        apiKey,
      );
      expect(closed.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'PRIVACY_REQUEST_CLOSED',
      });

      const future = await api.graphql(
        OPEN,
        {
          input: {
            kind: 'ACCESS',
            regulation: 'GDPR',
            recipientId,
            receivedAt: new Date(Date.now() + 3600_000).toISOString(),
          },
        },
        apiKey,
      );
      expect(future.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const badRef = await api.graphql(
        OPEN,
        {
          input: {
            kind: 'ACCESS',
            regulation: 'GDPR',
            recipientId,
            reference: 'mail from ada@example.org',
          },
        },
        apiKey,
      );
      expect(badRef.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      expect(
        (await api.graphql(GET, { id: overdue.id }, otherKey)).errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');
      const otherList = await ok<{ privacyRequests: { edges: unknown[] } }>(LIST, {}, otherKey);
      expect(otherList.privacyRequests.edges).toEqual([]);
      const foreign = await api.graphql(
        REJECT,
        { input: { id: overdue.id, reason: 'DUPLICATE' } },
        otherKey,
      );
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });
});
