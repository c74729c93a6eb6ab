import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import {
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type ValidationContext,
  type ValidationRule,
  isObjectType,
} from 'graphql';

import type { AppConfig } from '#platform';

import { ApiError, type ApiErrorCode } from './api-error.js';
import { attachOperationState, operationStateOf } from './operation-state.js';
import { operationCost } from './query-cost.js';

/** The GraphQL limits, from the configuration (README, "GraphQL limits"). */
export interface GraphQLLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxQueryChars: number;
  timeoutMs: number;
  introspection: boolean;
  fieldSuggestions: boolean;
}

export const graphqlLimitsOf = (config: AppConfig): GraphQLLimits => ({
  maxDepth: config.MAILPACKR_GRAPHQL_MAX_DEPTH,
  maxCost: config.MAILPACKR_GRAPHQL_MAX_COST,
  maxAliases: config.MAILPACKR_GRAPHQL_MAX_ALIASES,
  maxDirectives: config.MAILPACKR_GRAPHQL_MAX_DIRECTIVES,
  maxTokens: config.MAILPACKR_GRAPHQL_MAX_TOKENS,
  maxQueryChars: config.MAILPACKR_GRAPHQL_MAX_QUERY_CHARS,
  timeoutMs: config.MAILPACKR_GRAPHQL_TIMEOUT_MS,
  introspection: config.graphqlIntrospection,
  fieldSuggestions: config.graphqlFieldSuggestions,
});

/**
 * Root fields that may never be aliased: aliases would let one request run them many times
 * (`{ a: login(…) b: login(…) }` tries two passwords while counting as one request). Every field
 * that checks a password belongs here.
 */
export const UNALIASABLE_ROOT_FIELDS: readonly string[] = ['login', 'changePassword'];

/**
 * Root fields whose operations the execution timeout leaves alone: they are bounded by their
 * input (a streamed upload, the tenant's retention run) and may rightly take longer.
 */
export const UNTIMED_ROOT_FIELDS: readonly string[] = ['importContacts', 'runRetention'];

/**
 * A refusal before any resolver runs: a GraphQL error wrapping the `ApiError` whose code the
 * error formatter shows.
 */
export const limitRefusal = (
  code: ApiErrorCode,
  message: string,
  details: Record<string, unknown>,
  status = 400,
): GraphQLError =>
  new GraphQLError(message, {
    originalError: new ApiError(code, message, details),
    extensions: { http: { status } },
  });

/** Refuses an alias on any of `fields` at the root of an operation, fragments included. */
export const unaliasableRootFieldsRule =
  (fields: readonly string[] = UNALIASABLE_ROOT_FIELDS): ValidationRule =>
  (context) => {
    const schema = context.getSchema();
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    return {
      Field(node) {
        if (!node.alias || !fields.includes(node.name.value)) return;
        const parent = context.getParentType();
        if (!parent || !roots.includes(parent as never)) return;
        context.reportError(
          limitRefusal(
            'ALIAS_NOT_ALLOWED',
            `${node.name.value} cannot be aliased: send it once per request, without an alias.`,
            { field: node.name.value },
          ),
        );
      },
    };
  };

/** graphql-armor's depth, alias and directive rules, reporting our codes. */
const armorRules = (limits: GraphQLLimits): ValidationRule[] => {
  const report =
    (code: ApiErrorCode, limit: number, advice: string) =>
    (context: ValidationContext | null, error: GraphQLError): void =>
      context?.reportError(
        limitRefusal(code, `${error.message.replace(/^Syntax Error: /, '')} ${advice}`, { limit }),
      );
  const armor = new ApolloArmor({
    blockFieldSuggestion: { enabled: false }, // hideFieldSuggestions: cleaner messages
    maxTokens: { enabled: false }, // counted before parsing, see graphqlHttpLimits
    costLimit: { enabled: false }, // cannot count `first`: operationCost
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true, // a fragment is not a level of the response
      ignoreIntrospection: true,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [report('QUERY_TOO_DEEP', limits.maxDepth, 'Ask for fewer nested levels.')],
    },
    maxAliases: {
      n: limits.maxAliases,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [
        report('TOO_MANY_ALIASES', limits.maxAliases, 'Split the operation into several.'),
      ],
    },
    maxDirectives: {
      n: limits.maxDirectives,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [report('TOO_MANY_DIRECTIVES', limits.maxDirectives, 'Use fewer directives.')],
    },
  });
  return armor.protect().validationRules;
};

/** Drops graphql-js's "Did you mean …?" hints, which spell out the schema to a prober. */
export const hideFieldSuggestionsPlugin: ApolloServerPlugin = {
  requestDidStart() {
    return Promise.resolve({
      didEncounterErrors({ errors }) {
        for (const error of errors)
          error.message = error.message.replace(/ Did you mean [^?]*\?/g, '');
        return Promise.resolve();
      },
    });
  },
};

/**
 * Per operation: refuses it when it costs more than `maxCost` (counted with its variables, so
 * `first: $first` counts what was sent), starts its execution deadline, and at the end writes
 * the tenant's rate-limit verdict into the response (`RateLimit-*` headers, 429 when refused).
 */
export const graphqlLimitsPlugin = (limits: GraphQLLimits): ApolloServerPlugin<BaseContext> => ({
  requestDidStart({ contextValue }) {
    const state = attachOperationState(contextValue);
    return Promise.resolve({
      didResolveOperation({ operation, document, request, schema }) {
        if (!operation) return Promise.resolve();
        const fragments: Record<string, FragmentDefinitionNode> = {};
        for (const definition of document.definitions)
          if (definition.kind === Kind.FRAGMENT_DEFINITION)
            fragments[definition.name.value] = definition;
        const cost = operationCost({ schema, operation, fragments, variables: request.variables });
        if (cost > limits.maxCost) {
          throw limitRefusal(
            'QUERY_TOO_COSTLY',
            `The operation costs ${cost} points, more than the limit of ${limits.maxCost}: ask for ` +
              'smaller pages (first) or fewer nested lists.',
            { cost, maxCost: limits.maxCost },
          );
        }
        state.cost = cost;
        const untimed = operation.selectionSet.selections.some(
          (s) => s.kind === Kind.FIELD && UNTIMED_ROOT_FIELDS.includes(s.name.value),
        );
        if (!untimed) state.timeoutMs = limits.timeoutMs;
        return Promise.resolve();
      },
      executionDidStart() {
        state.startDeadline();
        return Promise.resolve();
      },
      willSendResponse({ response }) {
        state.stopDeadline();
        const verdict = state.rateLimitVerdict;
        if (verdict) {
          const headers = response.http.headers;
          headers.set('ratelimit-policy', `${verdict.limit};w=60`);
          headers.set('ratelimit-limit', String(verdict.limit));
          headers.set('ratelimit-remaining', String(verdict.remaining));
          headers.set('ratelimit-reset', String(verdict.resetSeconds));
          if (!verdict.allowed) {
            response.http.status = 429;
            headers.set('retry-after', String(verdict.resetSeconds));
          }
        }
        return Promise.resolve();
      },
    });
  },
});

/**
 * Wraps every field resolver so that, once an operation's deadline has passed, pending fields
 * fail with TIMEOUT and no further field starts. (Work already started, such as a database query,
 * finishes in the background; its result is dropped.)
 */
export const withOperationTimeout = (schema: GraphQLSchema): GraphQLSchema => {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      // A field without a resolver of its own reads a property: no IO, nothing to time out.
      // Only real resolvers are wrapped (pages of 50 rows run hundreds of property reads).
      if (!field.resolve) continue;
      const resolve = field.resolve;
      field.resolve = (source, args, context, info) => {
        const state = operationStateOf(context);
        if (!state) return resolve(source, args, context, info);
        state.assertInTime();
        return state.race(resolve(source, args, context, info));
      };
    }
  }
  return schema;
};

/**
 * Everything the GraphQL module needs for its limits, spread into its options: introspection as
 * configured, CSRF prevention, no batching, no stack traces, the validation rules and plugins.
 */
export const graphqlHardening = (config: AppConfig): Partial<ApolloDriverConfig> => {
  const limits = graphqlLimitsOf(config);
  return {
    introspection: limits.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // A backstop: HTTP requests are counted before they reach Apollo (graphqlHttpLimits).
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armorRules(limits), unaliasableRootFieldsRule()],
    plugins: [
      // Cache hints are not used (responses are per tenant and never cached), and the plugin
      // would wrap every field's resolution.
      ApolloServerPluginCacheControlDisabled(),
      graphqlLimitsPlugin(limits),
      ...(limits.fieldSuggestions ? [] : [hideFieldSuggestionsPlugin]),
    ],
    // Let a refused operation answer 429 (Nest would reset any status to 200 once data exists).
    preserveHttpStatusForExecutionErrors: false,
  };
};
