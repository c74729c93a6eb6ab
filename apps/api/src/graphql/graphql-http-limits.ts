import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { Lexer, Source, TokenKind } from 'graphql';

import type { AppConfig } from '#platform';

import { errorsCarryRequestId, requestIdFor } from './request-context.js';

/** Tokens in `query`, counted up to `max + 1`: the lexer stops there, before any parsing. */
export const countTokens = (query: string, max: number): number => {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (count <= max && lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch {
    // A syntax error: the parser reports it.
  }
  return count;
};

const refuse = (
  res: Response,
  req: unknown,
  status: number,
  message: string,
  details: Record<string, unknown>,
): void => {
  res
    .status(status)
    .type('application/json')
    .send(
      JSON.stringify({
        errors: [
          {
            message,
            extensions: { code: 'QUERY_TOO_LARGE', ...details, requestId: requestIdFor(req) },
          },
        ],
      }),
    );
};

/** The GraphQL document of a request: JSON or multipart body (`query`), or GET `?query=`. */
const queryOf = (req: { body?: unknown; query?: unknown }): unknown =>
  (req.body as { query?: unknown } | undefined)?.query ??
  (req.query as { query?: unknown } | undefined)?.query;

/**
 * Express middleware for `/graphql`, after the body parsers and before Apollo:
 * - a body over the parser's limit is refused with QUERY_TOO_LARGE (413), in GraphQL's shape;
 * - the rest runs with the request in scope (for the request id of every GraphQL error);
 * - a document longer than `MAILPACKR_GRAPHQL_MAX_QUERY_CHARS` characters or with more than
 *   `MAILPACKR_GRAPHQL_MAX_TOKENS` tokens is refused with QUERY_TOO_LARGE (400) before it is
 *   parsed.
 */
export const graphqlHttpLimits = (
  config: AppConfig,
  bodyLimit: string,
): Array<RequestHandler | ErrorRequestHandler> => {
  const maxChars = config.MAILPACKR_GRAPHQL_MAX_QUERY_CHARS;
  const maxTokens = config.MAILPACKR_GRAPHQL_MAX_TOKENS;
  const bodyTooLarge: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if ((error as { type?: unknown } | null)?.type !== 'entity.too.large') {
      next(error);
      return;
    }
    refuse(res, req, 413, `The request body is larger than ${bodyLimit}.`, {
      reason: 'BODY_TOO_LARGE',
      limit: bodyLimit,
    });
  };
  const documentLimits: RequestHandler = (req, res, next) => {
    const query = queryOf(req);
    if (typeof query !== 'string') {
      next();
      return;
    }
    if (query.length > maxChars) {
      refuse(
        res,
        req,
        400,
        `The GraphQL document has ${query.length} characters, more than the limit of ${maxChars}: pass large values as variables.`,
        { reason: 'TOO_MANY_CHARACTERS', limit: maxChars },
      );
      return;
    }
    if (countTokens(query, maxTokens) > maxTokens) {
      refuse(
        res,
        req,
        400,
        `The GraphQL document has more than ${maxTokens} tokens: split it into smaller operations.`,
        { reason: 'TOO_MANY_TOKENS', limit: maxTokens },
      );
      return;
    }
    next();
  };
  return [bodyTooLarge, errorsCarryRequestId, documentLimits];
};
