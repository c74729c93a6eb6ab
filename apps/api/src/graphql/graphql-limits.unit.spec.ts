import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { GraphQLError, buildSchema, parse, validate } from 'graphql';

import { ConfigError, loadConfig } from '#platform';

import { ApiError } from './api-error.js';
import { formatGraphQLError, isUnexpectedError, logUnexpectedError } from './error-formatter.js';
import { countTokens } from './graphql-http-limits.js';
import { errorsCarryRequestId, withRequestId } from './request-context.js';
import {
  UNALIASABLE_ROOT_FIELDS,
  graphqlHardening,
  hideFieldSuggestionsPlugin,
  limitRefusal,
  unaliasableRootFieldsRule,
} from './graphql-limits.js';
import { OperationState } from './operation-state.js';
import { TenantRateLimiter } from './rate-limit.js';

const schema = buildSchema(`
  type Query { viewer: Viewer! node(id: ID!): Node }
  type Mutation { login(email: String!, password: String!): Session! logout: Boolean! }
  type Session { token: String! login: String! }
  type Viewer { id: ID! friends: [Viewer!]! }
  type Node { id: ID! child: Node }
`);

const codesOf = (errors: readonly GraphQLError[]): string[] =>
  errors.map((e) => (e.originalError instanceof ApiError ? e.originalError.code : e.message));

const hardening = (env: Record<string, string> = {}) => graphqlHardening(loadConfig({}, env));

const validateWith = (source: string, env: Record<string, string> = {}): string[] =>
  codesOf(validate(schema, parse(source), hardening(env).validationRules));

describe('GraphQL limits', () => {
  describe('Given the sensitive root fields', () => {
    const check = (source: string) =>
      codesOf(validate(schema, parse(source), [unaliasableRootFieldsRule()]));

    it('should list login and changePassword', () => {
      expect(UNALIASABLE_ROOT_FIELDS).toEqual(expect.arrayContaining(['login', 'changePassword']));
    });

    it('should admit login once without an alias', () => {
      expect(check('mutation { login(email: "a", password: "b") { token } }')).toEqual([]);
    });

    it('should refuse login under any alias, fragments included', () => {
      expect(
        check(`mutation { a: login(email: "a", password: "1") { token }
                          b: login(email: "a", password: "2") { token } }`),
      ).toEqual(['ALIAS_NOT_ALLOWED', 'ALIAS_NOT_ALLOWED']);
      expect(check('mutation { login: login(email: "a", password: "b") { token } }')).toEqual([
        'ALIAS_NOT_ALLOWED',
      ]);
      expect(
        check(`mutation { ...M }
               fragment M on Mutation { x: login(email: "a", password: "b") { token } }`),
      ).toEqual(['ALIAS_NOT_ALLOWED']);
      expect(
        check('mutation { ... on Mutation { y: login(email: "a", password: "b") { token } } }'),
      ).toEqual(['ALIAS_NOT_ALLOWED']);
    });

    it('should leave other fields and nested fields of the same name alone', () => {
      expect(check('mutation { out: logout }')).toEqual([]);
      expect(
        check('mutation { login(email: "a", password: "b") { who: login t: token } }'),
      ).toEqual([]);
    });
  });

  describe('Given the depth limit', () => {
    const deep = (levels: number): string =>
      `{ ${'node(id: "1") { '.repeat(1)}${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 1)} }`;

    it('should admit an operation at the limit and refuse one past it', () => {
      expect(
        validateWith(`{ ${'node(id: "1") { child { child { id } } }'} }`, {
          MAILPACKR_GRAPHQL_MAX_DEPTH: '4',
        }),
      ).toEqual([]);
      expect(validateWith(deep(5), { MAILPACKR_GRAPHQL_MAX_DEPTH: '4' })).toEqual([
        'QUERY_TOO_DEEP',
      ]);
    });

    it('should not count a fragment as a level', () => {
      const source = `{ node(id: "1") { ...A } }
        fragment A on Node { child { ...B } }
        fragment B on Node { child { id } }`;
      expect(validateWith(source, { MAILPACKR_GRAPHQL_MAX_DEPTH: '4' })).toEqual([]);
    });
  });

  describe('Given the alias and directive limits', () => {
    it('should refuse more aliases than allowed', () => {
      const aliases = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`;
      expect(validateWith(aliases(15))).toEqual([]);
      expect(validateWith(aliases(16))).toEqual(['TOO_MANY_ALIASES']);
    });

    it('should refuse more directives than allowed', () => {
      const directives = (n: number) => `{ viewer { id ${'@include(if: true) '.repeat(n)} } }`;
      expect(validateWith(directives(10)).filter((c) => c === 'TOO_MANY_DIRECTIVES')).toEqual([]);
      expect(validateWith(directives(11))).toContain('TOO_MANY_DIRECTIVES');
    });
  });

  describe('Given a document', () => {
    it('should count its tokens, ignoring comments, and stop past the limit', () => {
      expect(countTokens('{ viewer { id } } # a comment', 100)).toBe(6);
      expect(countTokens(`{ ${'id '.repeat(5000)} }`, 100)).toBe(101);
      expect(countTokens('{ "unterminated', 100)).toBe(1);
    });
  });

  describe('Given field suggestions are hidden', () => {
    it('should drop the "Did you mean" hint and keep the rest of the message', async () => {
      const [error] = validate(schema, parse('{ viewer { idd } }'));
      expect(error!.message).toContain('Did you mean "id"?');
      const listener = await hideFieldSuggestionsPlugin.requestDidStart!({} as never);
      await listener!.didEncounterErrors!({ errors: [error!] } as never);
      expect(error!.message).toBe('Cannot query field "idd" on type "Viewer".');
    });
  });

  describe('Given the configuration', () => {
    it('should turn introspection and suggestions off in production unless configured', () => {
      const production = loadConfig({}, { NODE_ENV: 'production' });
      expect([production.graphqlIntrospection, production.graphqlFieldSuggestions]).toEqual([
        false,
        false,
      ]);
      const development = loadConfig({}, { NODE_ENV: 'development' });
      expect([development.graphqlIntrospection, development.graphqlFieldSuggestions]).toEqual([
        true,
        true,
      ]);
      const explicit = loadConfig(
        {},
        {
          NODE_ENV: 'production',
          MAILPACKR_GRAPHQL_INTROSPECTION: 'true',
          MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS: 'false',
        },
      );
      expect([explicit.graphqlIntrospection, explicit.graphqlFieldSuggestions]).toEqual([
        true,
        false,
      ]);
      expect(hardening({ NODE_ENV: 'production' })).toMatchObject({
        introspection: false,
        csrfPrevention: true,
        allowBatchedHttpRequests: false,
        includeStacktraceInErrorResponses: false,
      });
    });

    it('should refuse a wrong value and a cost limit above the rate limit, naming them', () => {
      expect(() => loadConfig({}, { MAILPACKR_GRAPHQL_INTROSPECTION: 'yes' })).toThrow(
        /MAILPACKR_GRAPHQL_INTROSPECTION must be true or false/,
      );
      expect(() =>
        loadConfig(
          {},
          { MAILPACKR_GRAPHQL_MAX_COST: '5000', MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE: '1000' },
        ),
      ).toThrow(ConfigError);
      expect(() => loadConfig({}, { MAILPACKR_GRAPHQL_TIMEOUT_MS: '0' })).toThrow(
        /MAILPACKR_GRAPHQL_TIMEOUT_MS/,
      );
    });
  });

  describe('Given a tenant rate limiter', () => {
    it('should count points per tenant and refuse past the budget', async () => {
      const limiter = new TenantRateLimiter(100);
      expect(await limiter.consume('tenant-a', 60)).toMatchObject({
        allowed: true,
        limit: 100,
        remaining: 40,
      });
      const refused = await limiter.consume('tenant-a', 60);
      expect(refused).toMatchObject({ allowed: false, remaining: 0 });
      expect(refused.resetSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.resetSeconds).toBeLessThanOrEqual(60);
      expect(await limiter.consume('tenant-b', 60)).toMatchObject({ allowed: true, remaining: 40 });
      // Every operation costs at least one point.
      expect(await limiter.consume('tenant-c', 0)).toMatchObject({ remaining: 99 });
    });
  });

  describe('Given an operation deadline', () => {
    it('should fail pending work with TIMEOUT once it passes, and refuse later fields', async () => {
      const state = new OperationState();
      state.timeoutMs = 20;
      state.startDeadline();
      const never = new Promise<never>(() => undefined);
      await expect(state.race(never)).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(() => state.assertInTime()).toThrow(expect.objectContaining({ code: 'TIMEOUT' }));
      state.stopDeadline();
    });

    it('should leave results that come in time alone', async () => {
      const state = new OperationState();
      state.timeoutMs = 10_000;
      state.startDeadline();
      expect(state.race('sync')).toBe('sync');
      await expect(state.race(Promise.resolve(42))).resolves.toBe(42);
      state.stopDeadline();
    });
  });

  describe('Given the error formatter', () => {
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('should show a refusal with its code and details', () => {
      const refusal = limitRefusal('QUERY_TOO_COSTLY', 'Too costly', { cost: 2, maxCost: 1 });
      expect(formatGraphQLError({ message: refusal.message }, refusal)).toEqual({
        message: 'Too costly',
        extensions: { code: 'QUERY_TOO_COSTLY', cost: 2, maxCost: 1 },
      });
      expect(isUnexpectedError(refusal)).toBe(false);
    });

    it('should mask an internal error, and log it with its request id and no personal data', () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const error = new GraphQLError('duplicate key (email)=(ada@example.org)', {
        path: ['recipient'],
        originalError: new Error('duplicate key (email)=(ada@example.org) for Ada Lovelace'),
      });
      expect(formatGraphQLError({ message: error.message, path: ['recipient'] }, error)).toEqual({
        message: 'Internal server error',
        path: ['recipient'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(logged).not.toHaveBeenCalled();

      expect(isUnexpectedError(error)).toBe(true);
      logUnexpectedError(error, 'b1946ac9-2f1c-4a3e-9a8e-6d0c1e2f3a4b', error.path);
      const line = String(logged.mock.calls[0]?.[0]);
      expect(line).toContain('requestId b1946ac9-2f1c-4a3e-9a8e-6d0c1e2f3a4b');
      expect(line).toContain('at recipient');
      expect(line).not.toMatch(/ada@example\.org|Lovelace/);
    });
  });

  describe('Given a GraphQL response body and the request id', () => {
    const ID = 'b1946ac9-2f1c-4a3e-9a8e-6d0c1e2f3a4b';

    it('should put the id into every error, keeping what else the error says', () => {
      const body = `${JSON.stringify({
        errors: [
          { message: 'Too costly', extensions: { code: 'QUERY_TOO_COSTLY', cost: 2 } },
          { message: 'No extensions' },
        ],
        data: { viewer: null },
      })}\n`;
      const answered = withRequestId(body, ID);
      expect(answered.endsWith('\n')).toBe(true);
      expect(JSON.parse(answered)).toEqual({
        errors: [
          {
            message: 'Too costly',
            extensions: { code: 'QUERY_TOO_COSTLY', cost: 2, requestId: ID },
          },
          { message: 'No extensions', extensions: { requestId: ID } },
        ],
        data: { viewer: null },
      });
    });

    it('should leave a body that is not a GraphQL response with errors as it was', () => {
      expect(withRequestId('{"errors": not json', ID)).toBe('{"errors": not json');
      expect(withRequestId('{"errors":"text"}', ID)).toBe('{"errors":"text"}');
    });
  });

  describe('Given a response sent through the request-id middleware', () => {
    const sent = (body: unknown, req: object = { requestId: 'req-1' }): unknown => {
      const bodies: unknown[] = [];
      const res = { send: (b?: unknown) => bodies.push(b) };
      let nextCalled = false;
      errorsCarryRequestId(req, res, () => {
        nextCalled = true;
      });
      expect(nextCalled).toBe(true);
      res.send(body);
      return bodies[0];
    };

    it('should add the id to the errors of the body, and send others untouched', () => {
      expect(JSON.parse(sent('{"errors":[{"message":"Refused"}]}') as string)).toEqual({
        errors: [{ message: 'Refused', extensions: { requestId: 'req-1' } }],
      });
      const data = '{"data":{"errors":[1]}}';
      expect(sent(data)).toBe(data);
      const buffer = Buffer.from('{"errors":[]}');
      expect(sent(buffer)).toBe(buffer);
    });
  });
});
