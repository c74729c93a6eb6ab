import { unwrapResolverError } from '@apollo/server/errors';
import { Logger } from '@nestjs/common';
import type { GraphQLFormattedError } from 'graphql';

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

/**
 * The one place errors become GraphQL errors: typed errors get their `extensions.code`,
 * anything else is logged and masked as INTERNAL_SERVER_ERROR.
 */
export const formatGraphQLError = (
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError => {
  const original = unwrapResolverError(error);
  const known = classify(original);
  if (known) {
    return {
      message: known.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: known.code, ...known.details },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_CODES.has(code)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: code === 'BAD_REQUEST' ? 'BAD_USER_INPUT' : code },
    };
  }
  logger.error(
    `Unexpected error at ${formatted.path?.join('.') ?? 'request'}: ${original instanceof Error ? original.stack : String(original)}`,
  );
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
};
