import 'reflect-metadata';

import { type AppConfig, MailpackrRuntime, createLogger, loadConfig } from '#platform';

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
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  process.stdout.write(banner(config, url, firstStart?.generatedApiKey));
  const stop = (): void =>
    void app
      .close()
      .then(() => runtime.close())
      .then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
};

main().catch((error: unknown) => {
  process.stderr.write(
    `MailPackr failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
