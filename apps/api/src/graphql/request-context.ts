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

/** Apollo writes `errors` first in every response that has them (`orderExecutionResultFields`). */
const ERRORS_FIRST = '{"errors":';

/**
 * A GraphQL response body with `extensions.requestId` set on each of its errors; any other body
 * as it was.
 */
export const withRequestId = (body: string, requestId: string): string => {
  let response: unknown;
  try {
    response = JSON.parse(body);
  } catch {
    return body;
  }
  const errors = (response as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return body;
  for (const error of errors as unknown[]) {
    if (typeof error !== 'object' || error === null) continue;
    const e = error as { extensions?: Record<string, unknown> };
    e.extensions = { ...e.extensions, requestId };
  }
  return `${JSON.stringify(response)}${body.endsWith('\n') ? '\n' : ''}`;
};

interface SendingResponse {
  send: (body?: unknown) => unknown;
}

/**
 * Express middleware for `/graphql`: every error answered carries the request's correlation id in
 * `extensions.requestId`, whether Apollo refused the request itself (CSRF, batching) or an
 * operation failed. Apollo formats errors without the request (`formatError` gets none), so the
 * id goes in here, where the request and the response body meet; a response without errors is
 * sent as it is, never parsed. (An AsyncLocalStorage scope around the request did this before:
 * it made every promise of the process pay for the scope, about 6% of the API's CPU.)
 */
export const errorsCarryRequestId = (req: object, res: SendingResponse, next: () => void): void => {
  const send = res.send;
  res.send = function (this: unknown, body?: unknown) {
    return send.call(
      this,
      typeof body === 'string' && body.startsWith(ERRORS_FIRST)
        ? withRequestId(body, requestIdFor(req))
        : body,
    );
  };
  next();
};
