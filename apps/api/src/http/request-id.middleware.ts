import { randomUUID } from 'node:crypto';

import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A client's own id is kept only when it is a short token that cannot smuggle anything. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** `req.requestId`: set for every request, read by the request log and masked GraphQL errors. */
export interface RequestWithId {
  requestId?: string;
}

/** The id a request is known by: the client's `x-request-id` when safe, else a new UUID. */
export const requestIdOf = (header: string | string[] | undefined): string => {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
};

/**
 * Gives every request a correlation id (`req.requestId`), echoed in the `x-request-id` response
 * header so a client can quote it, and carried in the request's log line.
 */
export const requestIdMiddleware = (
  req: Request & RequestWithId,
  res: Response,
  next: NextFunction,
): void => {
  const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
  req.requestId = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
};
