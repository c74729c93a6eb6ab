import type { ConsoleLogger, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';

import type { MailpackrRuntime } from '#platform';

import { WorkerModule } from '../../worker/src/worker.module.js';
import { AppModule } from './app.module.js';
import { graphqlHttpLimits } from './graphql/graphql-http-limits.js';
import { requestIdFor } from './graphql/request-context.js';
import { requestIdMiddleware } from './http/request-id.middleware.js';
import { requestLogMiddleware } from './http/request-log.middleware.js';

export const REQUEST_BODY_LIMIT = '2mb';

/** Builds the Nest app for a started runtime: the API, plus the worker when MODE is `all`. */
export const createApp = async (
  runtime: MailpackrRuntime,
  logger: ConsoleLogger | false,
  clock?: () => Date,
): Promise<INestApplication> => {
  const modules = [AppModule.forRuntime(runtime, clock)];
  if (runtime.config.MAILPACKR_MODE === 'all') modules.push(WorkerModule.forRuntime(runtime));
  const root = { module: class MailpackrModule {}, imports: modules };
  // rawBody: the JSON parser keeps the bytes as read (`req.rawBody`), which the delivery-events
  // webhook's signature is computed over.
  const app = await NestFactory.create<NestExpressApplication>(root, {
    logger,
    bodyParser: true,
    rawBody: true,
    // Once shutdown begins, a new request on a kept-alive connection gets 503 and
    // `Connection: close`; requests already in flight finish.
    return503OnClosing: true,
  });
  // No ETag: answers are per caller and never cached, and hashing each body (a page of 50 is
  // ~20 KB) costs CPU on every request.
  app.set('etag', false);
  // `req.ip` (the login limit per client IP) is the socket's address unless proxies are trusted.
  if (runtime.config.MAILPACKR_TRUST_PROXY !== undefined)
    app.set('trust proxy', runtime.config.trustProxy);
  // First: every request gets its correlation id, its log line and its latency metric.
  app.use(requestIdMiddleware);
  app.use(requestLogMiddleware({ metrics: runtime.metrics, format: runtime.config.logFormat }));
  // A campaign's MJML body may be up to 512 KiB; the default JSON limit (100 kB) would refuse it.
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT });
  // GraphQL multipart requests (a CSV file for `importContacts`): one file, streamed, never
  // buffered whole. Apollo's CSRF prevention wants an `Apollo-Require-Preflight` header on them.
  const maxFileSize = runtime.config.MAILPACKR_UPLOAD_MAX_MB * 1024 * 1024;
  const maxFieldSize = 64 * 1024; // the operations and map fields: a query and its variables
  app.use('/graphql', refuseOversizedUploads(maxFileSize + 2 * maxFieldSize));
  app.use('/graphql', graphqlUploadExpress({ maxFiles: 1, maxFileSize, maxFieldSize }));
  // Oversized bodies and documents are refused before parsing (QUERY_TOO_LARGE); the rest runs
  // with the request in scope, for the request id of every GraphQL error.
  app.use('/graphql', ...graphqlHttpLimits(runtime.config, REQUEST_BODY_LIMIT));
  return app;
};

/**
 * A multipart request whose announced length is over the limit is refused before anything is
 * read, with a GraphQL-shaped error: nothing of it is imported. (A chunked request has no length;
 * graphql-upload stops it at the limit, see `importContacts`.)
 */
const refuseOversizedUploads =
  (limit: number) =>
  (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const length = Number(req.headers['content-length']);
    if (!req.headers['content-type']?.startsWith('multipart/form-data') || !(length > limit)) {
      next();
      return;
    }
    res.statusCode = 413;
    res.setHeader('content-type', 'application/json');
    res.setHeader('connection', 'close');
    res.end(
      JSON.stringify({
        errors: [
          {
            message: `The request (${length} bytes) is larger than the upload limit (MAILPACKR_UPLOAD_MAX_MB): nothing was imported; use \`mailpackr import\` for this file`,
            extensions: {
              code: 'BAD_USER_INPUT',
              reason: 'UPLOAD_TOO_LARGE',
              requestId: requestIdFor(req),
            },
          },
        ],
      }),
    );
    req.resume();
  };
