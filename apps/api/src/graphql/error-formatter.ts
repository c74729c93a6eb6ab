import { unwrapResolverError } from '@apollo/server/errors';
import { Logger } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

import { isDomainError } from '#domain';
import { EventStoreError, WrongExpectedRevisionError } from '#event-store';
import { ContactsCsvError } from '#platform';
import { isPrivacyError } from '#privacy';

import { ApiError, type ApiErrorCode } from './api-error.js';

const logger = new Logger('GraphQL');

/** Apollo's own codes for requests that never reached a resolver: passed through as they are. */
const REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'BAD_REQUEST',
]);

const classify = (
  error: unknown,
): { code: ApiErrorCode; message: string; details?: Record<string, unknown> } | undefined => {
  if (error instanceof ApiError)
    return { code: error.code, message: error.message, details: error.details };
  if (isDomainError(error))
    return {
      code: error.kind,
      message: error.message,
      details: { ...error.details, reason: error.code },
    };
  if (error instanceof ContactsCsvError) {
    return {
      code: 'BAD_USER_INPUT',
      message: error.message,
      details: { reason: error.code, ...(error.line === null ? {} : { line: error.line }) },
    };
  }
  if (error instanceof WrongExpectedRevisionError) {
    return {
      code: 'CONFLICT',
      message: 'It changed since the revision you sent: read it again and retry.',
      details: {
        reason: error.code,
        actualRevision: error.actual === 'no_stream' ? null : Number(error.actual),
      },
    };
  }
  if (error instanceof EventStoreError && error.code !== 'STORE_UNAVAILABLE') {
    return {
      code: error.code === 'IDEMPOTENCY_MISMATCH' ? 'CONFLICT' : 'BAD_USER_INPUT',
      message: error.message,
      details: { reason: error.code },
    };
  }
  if (isPrivacyError(error) && error.code === 'SUBJECT_ERASED') {
    return {
      code: 'CONFLICT',
      message: 'This data subject was erased.',
      details: { reason: error.code },
    };
  }
  return undefined;
};

/** An error's class, code and stack frames: never its message, which may echo personal data. */
const describeForLog = (error: unknown): string => {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [`${error.name}${typeof code === 'string' ? ` (${code})` : ''}`, ...frames].join('\n');
};

/** What an error stands for: a wrapped refusal's `ApiError`, or a resolver's own error. */
const originalOf = (error: unknown): unknown => {
  const unwrapped = unwrapResolverError(error);
  // Refusals before execution (limits) arrive as GraphQL errors wrapping an ApiError.
  return unwrapped instanceof GraphQLError && unwrapped.originalError instanceof ApiError
    ? unwrapped.originalError
    : unwrapped;
};

const requestCodeOf = (code: unknown): string | undefined =>
  typeof code === 'string' && REQUEST_CODES.has(code) ? code : undefined;

/**
 * The one place errors become GraphQL errors: typed errors get their `extensions.code`,
 * anything else is masked as INTERNAL_SERVER_ERROR. Pure: the request's correlation id is added
 * to every error of a response by `errorsCarryRequestId`, and unexpected errors are logged with
 * it by `GraphQLOperationPlugin` (`logUnexpectedError`), where the request is known.
 */
export const formatGraphQLError = (
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError => {
  const known = classify(originalOf(error));
  if (known) {
    return {
      message: known.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: known.code, ...known.details },
    };
  }
  const code = requestCodeOf(formatted.extensions?.code);
  if (code) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: code === 'BAD_REQUEST' ? 'BAD_USER_INPUT' : code },
    };
  }
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
};

/** True when `formatGraphQLError` masks the error as INTERNAL_SERVER_ERROR: a bug or an outage. */
export const isUnexpectedError = (error: unknown): boolean =>
  !classify(originalOf(error)) &&
  !requestCodeOf(error instanceof GraphQLError ? error.extensions.code : undefined);

/** Logs an unexpected error with the request's correlation id: its class, code and stack, never its message. */
export const logUnexpectedError = (
  error: unknown,
  requestId: string,
  path: ReadonlyArray<string | number> | undefined,
): void => {
  logger.error(
    `Unexpected error (requestId ${requestId}) at ${path?.join('.') ?? 'request'}: ${describeForLog(originalOf(error))}`,
  );
};
