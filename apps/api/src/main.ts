import 'reflect-metadata';

import type { Server } from 'node:http';

import {
  type AppConfig,
  MailpackrRuntime,
  createLogger,
  installGracefulShutdown,
  loadConfig,
} from '#platform';

import { createApp } from './app.factory.js';
import { ensureDefaultTenant } from './first-start.js';

const banner = (config: AppConfig, url: string, apiKey?: string): string => {
  const lines = [
    '',
    `  MailPackr is running: GraphQL at ${url}/graphql`,
    `  Store: ${config.DATABASE_URL ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`}${config.EVENTSTORE_URL ? ' + EventStoreDB event log' : ''}`,
  ];
  if (apiKey) {
    lines.push(
      '',
      '  A default tenant was created. Its owner API key (shown once, store it now):',
      `    ${apiKey}`,
      '',
      `  Try: curl -s ${url}/graphql -H 'content-type: application/json' \\`,
      `         -H 'authorization: Bearer ${apiKey}' -d '{"query":"{ viewer { tenant { name plan } role } }"}'`,
    );
  }
  return `${lines.join('\n')}\n\n`;
};

const main = async (): Promise<void> => {
  const config = loadConfig();
  const logger = createLogger(config);
  const runtime = await MailpackrRuntime.start(config, logger);
  const firstStart =
    config.MAILPACKR_MODE === 'worker'
      ? undefined
      : await ensureDefaultTenant(runtime, (m) => logger.warn(m));
  const app = await createApp(runtime, logger);
  // SIGTERM / SIGINT: stop taking requests, finish those in flight and the worker's round, commit
  // checkpoints, close pools, exit 0 (a second signal or MAILPACKR_SHUTDOWN_TIMEOUT_MS: at once).
  installGracefulShutdown({
    app,
    http: { adapter: app.getHttpAdapter(), server: app.getHttpServer() as Server },
    readiness: runtime.readiness,
    closeRuntime: () => runtime.close(),
    logger: {
      log: (m) => logger.log(m, 'Shutdown'),
      warn: (m) => logger.warn(m, 'Shutdown'),
      error: (m) => logger.error(m, 'Shutdown'),
    },
    timeoutMs: config.MAILPACKR_SHUTDOWN_TIMEOUT_MS,
  });
  if (!config.MAILPACKR_METRICS_TOKEN && !config.metricsOpen) {
    logger.warn('GET /metrics is off: set MAILPACKR_METRICS_TOKEN to serve it on this host');
  }
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  process.stdout.write(banner(config, url, firstStart?.generatedApiKey));
};

main().catch((error: unknown) => {
  process.stderr.write(
    `MailPackr failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
