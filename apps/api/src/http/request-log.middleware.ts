import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import type { MailpackrMetrics, RequestOutcome, RequestType } from '#platform';

import type { Principal } from '../auth/principal.js';
import type { GraphQLOperationInfo, RequestWithGraphQL } from './graphql-operation.plugin.js';
import type { RequestWithId } from './request-id.middleware.js';

type LoggedRequest = Request & RequestWithId & RequestWithGraphQL & { principal?: Principal };

/** Probes and scrapes: logged at debug level only, they would drown everything else. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** The one log line of a request: no URL (links carry tokens), no query text, variables or IP. */
export interface RequestLogLine {
  event: 'request';
  requestId?: string;
  method: string;
  /** The matched route pattern (`/unsubscribe/:token`), never the URL; `other` when none matched. */
  route: string;
  status: number;
  durationMs: number;
  tenantId?: string;
  graphql?: {
    type?: string;
    name?: string;
    fields: string[];
    errors?: string[];
  };
  /** The client went away before the answer was sent. */
  aborted?: true;
}

/** Paths served by middleware rather than a Nest route (Apollo): named as they are. */
const MOUNTED_PATHS = new Set(['/graphql']);

const routeOf = (req: Request): string => {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  const path = req.originalUrl.split('?')[0]!;
  return MOUNTED_PATHS.has(path) ? path : 'other';
};

const outcomeOf = (status: number, graphql?: GraphQLOperationInfo): RequestOutcome => {
  if (status >= 500 || graphql?.errorCodes.includes('INTERNAL_SERVER_ERROR')) {
    return 'server_error';
  }
  if (status >= 400 || (graphql && graphql.errorCodes.length > 0)) return 'client_error';
  return 'success';
};

/** The latency histogram's labels: GraphQL by type and root field, the rest by route. */
const labelsOf = (
  line: RequestLogLine,
  graphql?: GraphQLOperationInfo,
): { type: RequestType; operation: string } => {
  if (graphql?.type) {
    const operation =
      graphql.fields.length === 1
        ? graphql.fields[0]!
        : graphql.fields.length > 1
          ? 'multiple'
          : 'other';
    return { type: graphql.type, operation };
  }
  return { type: 'http', operation: line.route };
};

const text = (line: RequestLogLine): string =>
  [
    line.method,
    line.route,
    line.graphql?.type ? `${line.graphql.type} ${line.graphql.name ?? '-'}` : undefined,
    line.graphql?.fields.length ? `[${line.graphql.fields.join(',')}]` : undefined,
    String(line.status),
    `${line.durationMs}ms`,
    line.graphql?.errors ? `errors=${line.graphql.errors.join(',')}` : undefined,
    line.tenantId ? `tenant=${line.tenantId}` : undefined,
    line.requestId ? `req=${line.requestId}` : undefined,
    line.aborted ? 'aborted' : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(' ');

/**
 * One structured line per request (JSON object in json log format, one readable line in text),
 * and its latency in the metrics. Registered after the request-id middleware.
 */
export const requestLogMiddleware = (options: {
  metrics: MailpackrMetrics;
  format: 'json' | 'text';
}) => {
  const logger = new Logger('Http');
  return (req: LoggedRequest, res: Response, next: NextFunction): void => {
    const started = performance.now();
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const graphql = req.graphql;
      const line: RequestLogLine = {
        event: 'request',
        requestId: req.requestId,
        method: req.method,
        route: routeOf(req),
        status: res.statusCode,
        durationMs: Math.round(seconds * 10_000) / 10,
        ...(req.principal ? { tenantId: req.principal.tenantId } : {}),
        ...(graphql
          ? {
              graphql: {
                type: graphql.type,
                name: graphql.name,
                fields: graphql.fields,
                ...(graphql.errorCodes.length > 0 ? { errors: graphql.errorCodes } : {}),
              },
            }
          : {}),
        ...(aborted ? { aborted: true as const } : {}),
      };
      options.metrics.observeRequest(
        { ...labelsOf(line, graphql), outcome: outcomeOf(res.statusCode, graphql) },
        seconds,
      );
      const message = options.format === 'json' ? line : text(line);
      if (QUIET_ROUTES.has(line.route)) logger.debug(message);
      else if (line.status >= 500) logger.warn(message);
      else logger.log(message);
    };
    res.once('finish', () => finish(false));
    res.once('close', () => finish(!res.writableFinished));
    next();
  };
};
