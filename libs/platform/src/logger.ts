import { ConsoleLogger, type LogLevel } from '@nestjs/common';

import type { AppConfig } from './config/app.config.js';
import { redactLogValue } from './observability/redact.js';

/** From the most to the least verbose: LOG_LEVEL enables its level and every level after it. */
const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

const redacted = (message: unknown, rest: unknown[]): [unknown, ...unknown[]] => [
  redactLogValue(message),
  ...rest.map((r) => redactLogValue(r)),
];

/**
 * Nest's console logger with every email address redacted from every argument before it is
 * printed: a second line of defence behind the rule that log lines carry ids and counts only
 * (an SMTP reply or a database error can echo an address back). A line of a level that is off is
 * dropped before it is redacted.
 */
export class RedactingConsoleLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('log')) super.log(...redacted(message, rest));
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('error')) super.error(...redacted(message, rest));
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('warn')) super.warn(...redacted(message, rest));
  }

  override debug(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('debug')) super.debug(...redacted(message, rest));
  }

  override verbose(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('verbose')) super.verbose(...redacted(message, rest));
  }

  override fatal(message: unknown, ...rest: unknown[]): void {
    if (this.isLevelEnabled('fatal')) super.fatal(...redacted(message, rest));
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
