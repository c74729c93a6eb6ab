import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

import type { AppConfig } from '../config/app.config.js';
import { metricsAccess } from './metrics-access.js';
import type { MailpackrMetrics } from './metrics.js';
import type { ReadinessProbe } from './readiness.js';

export interface OpsHttpServerOptions {
  config: Pick<AppConfig, 'MAILPACKR_METRICS_TOKEN' | 'metricsOpen'>;
  metrics: MailpackrMetrics;
  readiness: ReadinessProbe;
  host: string;
  /** 0: any free port. */
  port: number;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * `/health`, `/ready` and `/metrics` for a process without the API (`MAILPACKR_MODE=worker`),
 * with the same answers and the same `/metrics` access rule as the API's endpoints.
 */
export const startOpsHttpServer = async (options: OpsHttpServerOptions): Promise<Server> => {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return json(res, 405, { error: 'Method not allowed' });
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const readiness = await options.readiness.check();
      return json(res, readiness.status === 'ready' ? 200 : 503, readiness);
    }
    if (path === '/metrics') {
      const access = metricsAccess(options.config, req.headers.authorization);
      if (access === 'unauthorized') {
        res.setHeader('www-authenticate', 'Bearer realm="metrics"');
        return json(res, 401, { error: 'Send Authorization: Bearer <MAILPACKR_METRICS_TOKEN>' });
      }
      if (access === 'disabled') {
        return json(res, 404, {
          error: 'Not found: set MAILPACKR_METRICS_TOKEN to enable /metrics',
        });
      }
      const text = await options.metrics.metrics();
      res.writeHead(200, {
        'content-type': options.metrics.contentType,
        'cache-control': 'no-store',
      });
      res.end(text);
      return;
    }
    json(res, 404, { error: 'Not found' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'Internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
};
