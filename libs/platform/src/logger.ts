import { ConsoleLogger, type LogLevel } from '@nestjs/common';

import type { AppConfig } from './config/app.config.js';

/** From the most to the least verbose: LOG_LEVEL enables its level and every level after it. */
const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** One logger for every process: JSON lines in production, readable lines otherwise. */
export const createLogger = (config: AppConfig): ConsoleLogger =>
  new ConsoleLogger('MailPackr', {
    json: config.NODE_ENV === 'production',
    logLevels: LEVELS.slice(Math.max(0, LEVELS.indexOf(config.LOG_LEVEL))),
  });
