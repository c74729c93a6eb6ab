import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** An HTTP request as the request-id middleware leaves it (`req.requestId`, `x-request-id`). */
export interface RequestWithId {
  requestId?: unknown;
}

const FALLBACK_ID = Symbol('mailpackr.fallbackRequestId');
type WithFallback = RequestWithId & { [FALLBACK_ID]?: string };

/**
 * The request's correlation id: `req.requestId` (set by the request-id middleware, echoed in the
 * `x-request-id` response header), or else a random UUID kept on the request so that every error
 * and log line of one request carries the same id.
 */
export const requestIdFor = (req: unknown): string => {
  if (typeof req !== 'object' || req === null) return randomUUID();
  const request = req as WithFallback;
  if (typeof request.requestId === 'string' && request.requestId !== '') return request.requestId;
  return (request[FALLBACK_ID] ??= randomUUID());
};

const scope = new AsyncLocalStorage<object>();

/**
 * Express middleware for `/graphql`: what follows runs with the request in scope, so that the
 * error formatter (which Apollo calls without a context, e.g. for CSRF or batching refusals) can
 * put the request id into every error.
 */
export const graphqlRequestScope = (req: object, _res: unknown, next: () => void): void =>
  scope.run(req, next);

/** The id of the HTTP request being served, or a fresh UUID outside of one. */
export const currentRequestId = (): string => requestIdFor(scope.getStore());
