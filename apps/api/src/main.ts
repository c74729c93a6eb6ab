import 'reflect-metadata';

import cluster from 'node:cluster';
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

/** In a cluster, the first process creates the default tenant and prints the banner. */
const isFirstProcess = (): boolean => !cluster.isWorker || cluster.worker?.id === 1;

const main = async (config: AppConfig): Promise<void> => {
  const logger = createLogger(config);
  const runtime = await MailpackrRuntime.start(config, logger);
  const firstStart =
    config.MAILPACKR_MODE === 'worker' || !isFirstProcess()
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
  if (isFirstProcess()) process.stdout.write(banner(config, url, firstStart?.generatedApiKey));
};

/**
 * `MAILPACKR_API_PROCESSES` > 1: this process only supervises. It starts that many copies of the
 * server sharing the port (the first alone, the others once it listens), starts a copy again if
 * one dies, and on SIGTERM / SIGINT passes the
 * signal on and exits once every copy has shut down (0 when all of them exited 0).
 */
const supervise = (config: AppConfig): void => {
  const logger = createLogger(config);
  let stopping = false;
  let failed = false;
  // The first copy makes the default tenant on a first start. The others start once it listens
  // (or has ended), so no request reaches a copy before the installation's first key works.
  let rest = config.MAILPACKR_API_PROCESSES - 1;
  const forkRest = () => {
    for (; rest > 0 && !stopping; rest--) cluster.fork();
  };
  const first = cluster.fork();
  first.once('listening', forkRest);
  first.once('exit', forkRest);
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0) failed = true;
    if (!stopping) {
      logger.error(`API process ${worker.process.pid} ended (${signal ?? code}); starting another`);
      setTimeout(() => cluster.fork(), 1000).unref();
      return;
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    });
  }
};

const start = async (): Promise<void> => {
  const config = loadConfig();
  if (cluster.isPrimary && config.MAILPACKR_API_PROCESSES > 1) supervise(config);
  else await main(config);
};

start().catch((error: unknown) => {
  process.stderr.write(
    `MailPackr failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
