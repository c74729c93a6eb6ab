import { unwrapResolverError } from '@apollo/server/errors';
import { Logger } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

import { isDomainError } from '#domain';
import { EventStoreError, WrongExpectedRevisionError } from '#event-store';
import { ContactsCsvError } from '#platform';
import { isPrivacyError } from '#privacy';

import { ApiError, type ApiErrorCode } from './api-error.js';
import { currentRequestId } from './request-context.js';

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

/**
 * The one place errors become GraphQL errors: typed errors get their `extensions.code`,
 * anything else is logged and masked as INTERNAL_SERVER_ERROR. Every error carries the request's
 * correlation id in `extensions.requestId`.
 */
export const formatGraphQLError = (
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError => {
  const requestId = currentRequestId();
  const unwrapped = unwrapResolverError(error);
  // Refusals before execution (limits) arrive as GraphQL errors wrapping an ApiError.
  const original =
    unwrapped instanceof GraphQLError && unwrapped.originalError instanceof ApiError
      ? unwrapped.originalError
      : unwrapped;
  const known = classify(original);
  if (known) {
    return {
      message: known.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: known.code, ...known.details, requestId },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_CODES.has(code)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: code === 'BAD_REQUEST' ? 'BAD_USER_INPUT' : code, requestId },
    };
  }
  logger.error(
    `Unexpected error (requestId ${requestId}) at ${formatted.path?.join('.') ?? 'request'}: ${describeForLog(original)}`,
  );
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  };
};
