/** The codes a client sees in `extensions.code`. */
export type ApiErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  // Request limits (graphql-limits.ts): the operation was refused before any resolver ran.
  | 'QUERY_TOO_LARGE'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COSTLY'
  | 'TOO_MANY_ALIASES'
  | 'ALIAS_NOT_ALLOWED'
  | 'TOO_MANY_DIRECTIVES'
  | 'RATE_LIMITED'
  // Too many failed logins for the account or the client IP (`retryAfterSeconds`).
  | 'TOO_MANY_ATTEMPTS'
  // The operation ran past MAILPACKR_GRAPHQL_TIMEOUT_MS.
  | 'TIMEOUT';

/** An error raised by the API layer itself (auth, input validation, lookups). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
