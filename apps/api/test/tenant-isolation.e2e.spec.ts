import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { TenantIsolationChecks } from '#projections';
import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';
import { schema, schemaOperations, selectionOf } from './schema-operations.js';

/** Codes of documents refused before any resolver runs. */
const REFUSED_UP_FRONT = new Set([
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_ALIASES',
  'QUERY_TOO_LARGE',
  'RATE_LIMITED',
]);

/** Tenant B's own view of its data, compared before and after tenant A's sweep. */
const SNAPSHOT = [
  'contactLists',
  'recipients',
  'templates',
  'campaigns',
  'suppressions',
  'privacyRequests',
  'sending',
  'retentionPolicies',
];

const MJML = (text: string) =>
  `<mjml><mj-body><mj-section><mj-column><mj-text>${text} {{firstName}}</mj-text></mj-column></mj-section></mj-body></mjml>`;

/**
 * Tenant isolation, swept over the whole contract: every query and mutation of `schema.graphql`,
 * called by tenant A with every id tenant B owns, reveals nothing of B and changes nothing of B.
 */
describe.each(sqlBackends())('Tenant isolation (%s)', (backend) => {
  let api: ApiTestApp;
  let a: { tenantId: string; apiKey: string };
  let b: { tenantId: string; apiKey: string };
  /** What only tenant B holds: its ids, and strings that must never reach tenant A. */
  const bIds = new Set<string>();
  const bSecrets: string[] = [];
  let bSnapshot: string;

  const ok = async <T>(query: string, variables: Record<string, unknown>, key: string) => {
    const res = await api.graphql<T>(query, variables, key);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  /** Everything tenant B can see of its own data, as one string. */
  const snapshotOfB = async (): Promise<string> => {
    await api.caughtUp(['recipients', 'contact-lists', 'campaigns', 'templates']);
    const queries = SNAPSHOT.map((name) => {
      const field = schema.getQueryType()!.getFields()[name]!;
      return `${name}${name === 'recipients' ? '(first: 100)' : ''}${selectionOf(field.type, 4)}`;
    });
    // Key ids, roles and revocations; not the keys' last-used time, which B's own reads move.
    const res = await api.graphql(
      `{ ${queries.join(' ')} apiKeys(first: 100) { edges { node { id role revokedAt } } } }`,
      {},
      b.apiKey,
    );
    expect(res.errors).toBeUndefined();
    return JSON.stringify(res.data);
  };

  beforeAll(async () => {
    // Three sweeps of every operation: more than a real tenant's budget of a minute.
    api = await ApiTestApp.start(backend, { MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE: '1000000' });
    a = await api.createTenant('Tenant A');
    b = await api.createTenant('Tenant B');
    const tag = randomUUID().slice(0, 8);
    const secret = (what: string) => {
      const value = `${what}-${tag}`;
      bSecrets.push(value);
      return value;
    };
    const list = await ok<{ createContactList: { id: string } }>(
      `mutation($n: String!) { createContactList(input: { name: $n }) { id } }`,
      { n: secret('ListOfB') },
      b.apiKey,
    );
    const listId = list.createContactList.id;
    const recipientIds: string[] = [];
    for (const who of ['one', 'two', 'three']) {
      const added = await ok<{ addRecipient: { id: string } }>(
        `mutation($i: AddRecipientInput!) { addRecipient(input: $i) { id } }`,
        {
          i: {
            email: `${secret(`b-${who}`)}@example.org`,
            name: secret(`NameOfB${who}`),
            attributes: { city: secret(`CityOfB${who}`) },
            listIds: [listId],
          },
        },
        b.apiKey,
      );
      recipientIds.push(added.addRecipient.id);
    }
    const template = await ok<{ createTemplate: { id: string } }>(
      `mutation($i: CreateTemplateInput!) { createTemplate(input: $i) { id } }`,
      { i: { name: secret('TemplateOfB'), mjml: MJML(secret('BodyOfB')) } },
      b.apiKey,
    );
    const campaign = await ok<{ draftCampaign: { id: string } }>(
      `mutation($i: DraftCampaignInput!) { draftCampaign(input: $i) { id } }`,
      {
        i: {
          name: secret('CampaignOfB'),
          subject: secret('SubjectOfB'),
          fromAddress: 'news@b.example',
          mjmlBody: MJML(secret('CampaignBodyOfB')),
          listIds: [listId],
        },
      },
      b.apiKey,
    );
    const campaignId = campaign.draftCampaign.id;
    await ok(
      `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`,
      { id: campaignId },
      b.apiKey,
    );
    await api.caughtUp(['messages']);
    const messages = await ok<{ campaignMessages: { edges: Array<{ node: { id: string } }> } }>(
      `query($c: ID!) { campaignMessages(campaignId: $c) { edges { node { id } } } }`,
      { c: campaignId },
      b.apiKey,
    );
    const request = await ok<{ openPrivacyRequest: { id: string } }>(
      `mutation($i: OpenPrivacyRequestInput!) { openPrivacyRequest(input: $i) { id } }`,
      { i: { kind: 'ACCESS', regulation: 'GDPR', recipientId: recipientIds[1] } },
      b.apiKey,
    );
    await ok(
      `mutation($i: EraseRecipientInput!) { eraseRecipient(input: $i) { alreadyErased } }`,
      { i: { id: recipientIds[2], basis: 'GDPR_ART17' } },
      b.apiKey,
    );
    await ok(
      `mutation($i: SuppressEmailInput!) { suppressEmail(input: $i) { reason } }`,
      { i: { email: `${secret('b-suppressed')}@example.org` } },
      b.apiKey,
    );
    const key = await ok<{ issueApiKey: { apiKey: { id: string } } }>(
      `mutation { issueApiKey(input: { role: SUPPORT, label: "B support" }) { apiKey { id } } }`,
      {},
      b.apiKey,
    );
    for (const id of [
      b.tenantId,
      listId,
      ...recipientIds,
      template.createTemplate.id,
      campaignId,
      ...messages.campaignMessages.edges.map((e) => e.node.id),
      request.openPrivacyRequest.id,
      key.issueApiKey.apiKey.id,
    ])
      bIds.add(id);
    bSnapshot = await snapshotOfB();
  }, 120_000);
  afterAll(() => api.stop());

  // Each line of isolation on reads must hold alone: the sweep runs with both, then with one off.
  it.each([
    ['both lines of isolation', { applicationFilter: true, rowSecurity: true }],
    [
      'row-level security alone (application filter off)',
      { applicationFilter: false, rowSecurity: true },
    ],
    [
      'the application filter alone (row-level security off)',
      { applicationFilter: true, rowSecurity: false },
    ],
  ] satisfies Array<[string, TenantIsolationChecks]>)(
    'should reveal nothing of tenant B and change nothing of it, whatever tenant A sends, with %s',
    async (_, checks) => {
      api.runtime.tenantReads.checks = checks;
      try {
        expect(await sweepAsTenantA()).toEqual([]);
      } finally {
        api.runtime.tenantReads.checks = { applicationFilter: true, rowSecurity: true };
      }
      expect(await snapshotOfB()).toBe(bSnapshot);
    },
    600_000,
  );

  it('should find leaks with both lines off (the sweep can fail)', async () => {
    api.runtime.tenantReads.checks = { applicationFilter: false, rowSecurity: false };
    try {
      expect((await sweepAsTenantA()).length).toBeGreaterThan(0);
    } finally {
      api.runtime.tenantReads.checks = { applicationFilter: true, rowSecurity: true };
    }
  }, 600_000);

  /** Tenant A calls everything with each of B's ids; returns what leaked of B or was written about B. */

  const sweepAsTenantA = async () => {
    const start = await api.runtime.store.lastCommittedPosition();
    const leaks: string[] = [];
    let calls = 0;
    for (const bId of bIds) {
      for (const operation of schemaOperations({ depth: 4, id: () => bId })) {
        const res = await api.graphql(operation.document, operation.variables, a.apiKey);
        calls += 1;
        // Every call must reach the resolvers: a document refused up front would prove nothing.
        const refused = (res.errors ?? [])
          .map((e) => e.extensions?.code)
          .filter((code) => typeof code === 'string' && REFUSED_UP_FRONT.has(code));
        expect({ operation: operation.key, refused }).toEqual({
          operation: operation.key,
          refused: [],
        });
        const text = JSON.stringify(res);
        for (const secret of bSecrets)
          if (text.includes(secret)) leaks.push(`${operation.key}(${bId}) revealed ${secret}`);
        for (const other of bIds)
          if (other !== bId && text.includes(other))
            leaks.push(`${operation.key}(${bId}) revealed B's id ${other}`);
      }
    }
    expect(calls).toBeGreaterThan(bIds.size * 60);

    // Nothing tenant A did touched tenant B: no event in B's name or about its ids.
    const appended = await api.runtime.store.readAll({
      from: start ?? undefined,
      maxCount: 100_000,
    });
    for (const e of appended) {
      if (e.metadata.tenantId === b.tenantId) leaks.push(`${e.type} appended in B's name`);
      else if ([...bIds].some((id) => JSON.stringify(e.data).includes(id)))
        leaks.push(`${e.type} appended about B's ids`);
    }
    return leaks;
  };

  it('should take the tenant from the key only, never from a header or an argument', async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${a.apiKey}`,
        'x-tenant-id': b.tenantId,
      },
      body: JSON.stringify({ query: '{ viewer { tenant { id name } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { viewer: { tenant: { id: a.tenantId, name: 'Tenant A' } } },
    });
  });
});
