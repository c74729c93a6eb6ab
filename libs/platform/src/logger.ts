import { ConsoleLogger, type LogLevel } from '@nestjs/common';

import type { AppConfig } from './config/app.config.js';
import { redactLogValue } from './observability/redact.js';

/** From the most to the least verbose: LOG_LEVEL enables its level and every level after it. */
const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/**
 * Nest's console logger with every email address redacted from every argument before it is
 * printed: a second line of defence behind the rule that log lines carry ids and counts only
 * (an SMTP reply or a database error can echo an address back).
 */
export class RedactingConsoleLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    super.log(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }

  override error(message: unknown, ...rest: unknown[]): void {
    super.error(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    super.warn(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }

  override debug(message: unknown, ...rest: unknown[]): void {
    super.debug(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }

  override verbose(message: unknown, ...rest: unknown[]): void {
    super.verbose(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }

  override fatal(message: unknown, ...rest: unknown[]): void {
    super.fatal(redactLogValue(message), ...rest.map((r) => redactLogValue(r)));
  }
}

/**
 * One logger for every process: JSON lines (`MAILPACKR_LOG_FORMAT=json`, the production default)
 * or readable lines, email addresses redacted either way.
 */
export const createLogger = (config: AppConfig): ConsoleLogger =>
  new RedactingConsoleLogger('MailPackr', {
    json: config.logFormat === 'json',
    logLevels: LEVELS.slice(Math.max(0, LEVELS.indexOf(config.LOG_LEVEL))),
  });
