import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import pg from 'pg';

import { sqlBackends } from '#testing';

import { ApiTestApp, type GraphQLResponse } from './api-test-app.js';

interface Answer {
  status: number;
  headers: Headers;
  body: GraphQLResponse;
}

const send = async (
  api: ApiTestApp,
  body: unknown,
  options: { apiKey?: string; headers?: Record<string, string> } = {},
): Promise<Answer> => {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      ...options.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResponse,
  };
};

const query = (
  api: ApiTestApp,
  source: string,
  apiKey?: string,
  variables: Record<string, unknown> = {},
): Promise<Answer> => send(api, { query: source, variables }, { apiKey });

const codesOf = (answer: Answer): string[] =>
  (answer.body.errors ?? []).map((e) => String(e.extensions?.code));

/** The one error of a refused request, which must carry the request's correlation id. */
const refusalOf = (answer: Answer) => {
  expect(answer.body.errors).toHaveLength(1);
  const error = answer.body.errors![0]!;
  expect(error.extensions?.requestId).toBe(answer.headers.get('x-request-id'));
  return error;
};

const LISTS = (first: number) => `{ contactLists(first: ${first}) { edges { node { id } } } }`;
const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
/** Recipients with their messages: 1 + n × (edge 1 + node 1 + messages 1 + 100 × 2) points. */
const RECIPIENTS_WITH_MESSAGES = `query($n: Int) { recipients(first: $n) { edges { node { id
  messages(first: 100) { edges { node { id status } } } } } } }`;

describe.each(sqlBackends())('GraphQL limits over HTTP (%s)', (backend) => {
  describe('Given the default limits', () => {
    let api: ApiTestApp;
    let apiKey: string;
    beforeAll(async () => {
      api = await ApiTestApp.start(backend);
      ({ apiKey } = await api.createTenant('Limits Ltd'));
    });
    afterAll(async () => api.stop());

    const eventLogHead = async () => api.runtime.store.lastCommittedPosition();

    describe('When a tenant asks for a full page', () => {
      it('should answer it and send the remaining budget in RateLimit headers', async () => {
        const { apiKey: fresh } = await api.createTenant('Budget Ltd');
        const answer = await query(
          api,
          `{ contactLists(first: 100) { edges { cursor node { id name revision } }
             pageInfo { hasNextPage endCursor } } }`,
          fresh,
        );
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        // 1 + 100 × (edge 1 + node 1) + pageInfo 1
        expect(answer.headers.get('ratelimit-limit')).toBe('60000');
        expect(answer.headers.get('ratelimit-remaining')).toBe(String(60_000 - 202));
        expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
        expect(Number(answer.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);
        expect(answer.headers.get('ratelimit-policy')).toBe('60000;w=60');
      });
    });

    describe('When an operation nests big pages', () => {
      it('should refuse it with QUERY_TOO_COSTLY, counting `first` from the variables', async () => {
        const answer = await query(api, RECIPIENTS_WITH_MESSAGES, apiKey, { n: 100 });
        expect(answer.status).toBe(400);
        expect(answer.body.data).toBeUndefined();
        expect(refusalOf(answer).extensions).toMatchObject({
          code: 'QUERY_TOO_COSTLY',
          cost: 1 + 100 * (3 + 200),
          maxCost: 10_000,
        });
      });

      it('should answer the same operation with a smaller page', async () => {
        const answer = await query(api, RECIPIENTS_WITH_MESSAGES, apiKey, { n: 20 });
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data).toEqual({ recipients: { edges: [] } });
      });
    });

    describe('When an operation holds too many aliases', () => {
      it('should refuse it with TOO_MANY_ALIASES and run none of its mutations', async () => {
        const head = await eventLogHead();
        const mutation = `mutation { ${Array.from(
          { length: 16 },
          (_, i) => `l${i}: createContactList(input: { name: "Alias ${i}" }) { id }`,
        ).join(' ')} }`;
        const answer = await query(api, mutation, apiKey);
        expect(answer.status).toBe(400);
        expect(refusalOf(answer).extensions).toMatchObject({ code: 'TOO_MANY_ALIASES', limit: 15 });
        expect(await eventLogHead()).toEqual(head);
      });

      it('should refuse any alias of login, the sensitive root field', async () => {
        const answer = await query(
          api,
          `mutation { a: login(input: { email: "ada@example.org", password: "one" }) { token }
                      b: login(input: { email: "ada@example.org", password: "two" }) { token } }`,
          apiKey,
        );
        expect(answer.status).toBe(400);
        expect(codesOf(answer)).toEqual(['ALIAS_NOT_ALLOWED', 'ALIAS_NOT_ALLOWED']);
      });
    });

    describe('When an operation holds too many directives', () => {
      it('should refuse it with TOO_MANY_DIRECTIVES', async () => {
        const fields = Array.from({ length: 11 }, () => 'role @include(if: true)').join(' ');
        const answer = await query(api, `{ viewer { ${fields} } }`, apiKey);
        expect(answer.status).toBe(400);
        expect(refusalOf(answer).extensions).toMatchObject({ code: 'TOO_MANY_DIRECTIVES' });
      });
    });

    describe('When a request is oversized', () => {
      it('should refuse a document with too many tokens before parsing it', async () => {
        const answer = await query(api, `{ viewer { ${'role '.repeat(2100)} } }`, apiKey);
        expect(answer.status).toBe(400);
        expect(refusalOf(answer).extensions).toMatchObject({
          code: 'QUERY_TOO_LARGE',
          reason: 'TOO_MANY_TOKENS',
          limit: 2000,
        });
      });

      it('should refuse a document with too many characters', async () => {
        const answer = await query(api, `{ viewer { role } } # ${'x'.repeat(25_000)}`, apiKey);
        expect(answer.status).toBe(400);
        expect(refusalOf(answer).extensions).toMatchObject({
          code: 'QUERY_TOO_LARGE',
          reason: 'TOO_MANY_CHARACTERS',
          limit: 20_000,
        });
      });

      it('should refuse a body over 2 MB with 413 and write nothing', async () => {
        const head = await eventLogHead();
        const answer = await send(
          api,
          { query: CREATE_LIST, variables: { name: 'x'.repeat(3 * 1024 * 1024) } },
          { apiKey },
        );
        expect(answer.status).toBe(413);
        expect(refusalOf(answer).extensions).toMatchObject({
          code: 'QUERY_TOO_LARGE',
          reason: 'BODY_TOO_LARGE',
        });
        expect(await eventLogHead()).toEqual(head);
      });
    });

    describe('When operations are batched in one request', () => {
      it('should refuse the batch', async () => {
        const head = await eventLogHead();
        const answer = await send(
          api,
          [
            { query: CREATE_LIST, variables: { name: 'Batched 1' } },
            { query: CREATE_LIST, variables: { name: 'Batched 2' } },
          ],
          { apiKey },
        );
        expect(answer.status).toBe(400);
        expect(refusalOf(answer)).toMatchObject({
          message: expect.stringMatching(/batching/i),
          extensions: { code: 'BAD_USER_INPUT' },
        });
        expect(await eventLogHead()).toEqual(head);
      });
    });

    describe('When a request could come from another site (CSRF)', () => {
      it('should refuse a simple GET and a text/plain POST without a preflight header', async () => {
        const head = await eventLogHead();
        const get = await fetch(
          `${api.url}/graphql?query=${encodeURIComponent('{ viewer { role } }')}`,
          {
            headers: { authorization: `Bearer ${apiKey}` },
          },
        );
        expect(get.status).toBe(400);
        const getBody = (await get.json()) as GraphQLResponse;
        expect(getBody.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
        expect(getBody.errors?.[0]?.extensions?.requestId).toBe(get.headers.get('x-request-id'));

        const plain = await send(
          api,
          JSON.stringify({ query: CREATE_LIST, variables: { name: 'Forged' } }),
          { apiKey, headers: { 'content-type': 'text/plain' } },
        );
        expect(plain.status).toBe(400);
        expect(refusalOf(plain).message).toMatch(/Cross-Site Request Forgery/);
        expect(await eventLogHead()).toEqual(head);
      });

      it('should answer a GET that carries the preflight header', async () => {
        const get = await fetch(
          `${api.url}/graphql?query=${encodeURIComponent('{ viewer { role } }')}`,
          {
            headers: { authorization: `Bearer ${apiKey}`, 'apollo-require-preflight': 'true' },
          },
        );
        expect(get.status).toBe(200);
        expect(await get.json()).toEqual({ data: { viewer: { role: 'OWNER' } } });
      });
    });

    describe('When NODE_ENV is not production', () => {
      it('should serve introspection and suggest field names', async () => {
        const schema = await query(api, '{ __schema { queryType { name } } }', apiKey);
        expect(schema.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
        // What GraphiQL and code generators send passes every limit (introspection is free).
        const full = await query(api, getIntrospectionQuery({ descriptions: true }), apiKey);
        expect(full.body.errors).toBeUndefined();
        expect(
          (full.body.data as { __schema: { types: unknown[] } }).__schema.types.length,
        ).toBeGreaterThan(50);
        const typo = await query(api, '{ viewer { rol } }', apiKey);
        expect(refusalOf(typo).message).toMatch(/Did you mean "role"\?/);
      });
    });
  });

  describe('Given production settings and tight limits', () => {
    let api: ApiTestApp;
    beforeAll(async () => {
      api = await ApiTestApp.start(backend, {
        NODE_ENV: 'production',
        MAILPACKR_GRAPHQL_MAX_DEPTH: '5',
        MAILPACKR_GRAPHQL_MAX_COST: '300',
        MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE: '300',
        MAILPACKR_GRAPHQL_TIMEOUT_MS: '2000',
      });
    });
    afterAll(async () => api.stop());

    describe('When a client probes the schema', () => {
      it('should refuse introspection and hide field suggestions', async () => {
        const { apiKey } = await api.createTenant('Probe Ltd');
        for (const probe of [
          '{ __schema { types { name } } }',
          '{ __type(name: "Query") { name } }',
        ]) {
          const answer = await query(api, probe, apiKey);
          expect(answer.status).toBe(400);
          expect(refusalOf(answer)).toMatchObject({
            message: expect.stringMatching(/introspection/i),
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          });
        }
        const typo = await query(api, '{ viewer { rol } }', apiKey);
        expect(refusalOf(typo).message).toBe('Cannot query field "rol" on type "Viewer".');
      });
    });

    describe('When an operation is nested deeper than allowed', () => {
      it('should refuse it with QUERY_TOO_DEEP', async () => {
        const { apiKey } = await api.createTenant('Deep Ltd');
        const answer = await query(
          api,
          '{ recipients(first: 1) { edges { node { messages(first: 1) { edges { node { id } } } } } } }',
          apiKey,
        );
        expect(answer.status).toBe(400);
        expect(refusalOf(answer)).toMatchObject({
          message: expect.stringContaining('limit of 5'),
          extensions: { code: 'QUERY_TOO_DEEP', limit: 5 },
        });
      });
    });

    describe('When a tenant spends its budget', () => {
      it('should refuse that tenant with RATE_LIMITED and keep serving another', async () => {
        const a = await api.createTenant('Busy Ltd');
        const b = await api.createTenant('Quiet Ltd');
        // Each costs 1 + 50 × 2 = 101 points of 300.
        const first = await query(api, LISTS(50), a.apiKey);
        expect(first.headers.get('ratelimit-remaining')).toBe('199');
        const second = await query(api, LISTS(50), a.apiKey);
        expect(second.body.errors).toBeUndefined();
        expect(second.headers.get('ratelimit-remaining')).toBe('98');

        const refused = await query(api, LISTS(50), a.apiKey);
        expect(refused.status).toBe(429);
        expect(refused.body.data).toBeNull();
        const error = refusalOf(refused);
        expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 300, cost: 101 });
        const retryAfter = error.extensions!.retryAfterSeconds as number;
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
        expect(refused.headers.get('ratelimit-remaining')).toBe('0');

        const head = await api.runtime.store.lastCommittedPosition();
        const mutation = await query(api, CREATE_LIST, a.apiKey, { name: 'Over budget' });
        expect(codesOf(mutation)).toEqual(['RATE_LIMITED']);
        expect(await api.runtime.store.lastCommittedPosition()).toEqual(head);

        const other = await query(api, LISTS(50), b.apiKey);
        expect(other.status).toBe(200);
        expect(other.body.errors).toBeUndefined();
        expect(other.headers.get('ratelimit-remaining')).toBe('199');
      });
    });

    describe('When a resolver runs past the timeout', () => {
      it('should answer TIMEOUT and keep serving once the resolver is unblocked', async () => {
        const { apiKey } = await api.createTenant('Slow Ltd');
        const blocker = new pg.Client({ connectionString: api.database.connectionString });
        await blocker.connect();
        try {
          // Holds the read model the resolver reads (on PGlite, the whole single session).
          await blocker.query('BEGIN');
          await blocker.query('LOCK TABLE contact_lists IN ACCESS EXCLUSIVE MODE');
          const started = Date.now();
          const answer = await query(api, LISTS(5), apiKey);
          expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
          expect(answer.status).toBe(200);
          expect(answer.body.data).toBeNull();
          expect(answer.body.errors?.[0]).toMatchObject({
            path: ['contactLists'],
            extensions: { code: 'TIMEOUT', timeoutMs: 2000 },
          });
        } finally {
          await blocker.query('ROLLBACK');
          await blocker.end();
        }
        const after = await query(api, LISTS(5), apiKey);
        expect(after.body).toEqual({ data: { contactLists: { edges: [] } } });
      });
    });
  });
});
