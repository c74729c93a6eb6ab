import { ConsoleLogger } from '@nestjs/common';

import type { AppConfig } from './config/app.config.js';

/** One logger for every process: JSON lines in production, readable lines otherwise. */
export const createLogger = (config: AppConfig): ConsoleLogger =>
  new ConsoleLogger('MailPackr', {
    json: config.NODE_ENV === 'production',
    logLevels: [config.LOG_LEVEL, 'error', 'warn', 'fatal'],
  });
