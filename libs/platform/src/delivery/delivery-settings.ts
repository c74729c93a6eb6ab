import type { AppConfig } from '../config/app.config.js';
import { DEFAULT_DOMAIN_THROTTLE, type DomainThrottleOptions } from './domain-throttle.js';
import type { MailTransportOptions } from './mail-transport.js';
import { DEFAULT_RETRY_SCHEDULE, type RetryScheduleOptions } from './retry-schedule.js';
import type { RateLimit } from './send-rate-limiter.js';
import { type SmtpCaptureServerOptions, outboxDir } from './smtp-capture.server.js';

/** The delivery building blocks' options, from the validated configuration. */
export interface DeliverySettings {
  transport: MailTransportOptions;
  /** Set when `SMTP_URL` is unset: start the embedded capture server with these options. */
  capture: SmtpCaptureServerOptions | undefined;
  tenantRate: RateLimit;
  domains: DomainThrottleOptions;
  retry: RetryScheduleOptions;
}

export const deliverySettings = (config: AppConfig): DeliverySettings => ({
  transport: {
    url: config.smtpUrl,
    maxConnections: config.MAILPACKR_SMTP_MAX_CONNECTIONS,
    maxMessages: config.MAILPACKR_SMTP_MAX_MESSAGES,
    ...(config.MAILPACKR_SMTP_TIMEOUT_MS === undefined
      ? {}
      : {
          connectionTimeoutMs: config.MAILPACKR_SMTP_TIMEOUT_MS,
          greetingTimeoutMs: config.MAILPACKR_SMTP_TIMEOUT_MS,
          socketTimeoutMs: config.MAILPACKR_SMTP_TIMEOUT_MS,
        }),
  },
  capture: config.embeddedSmtp
    ? {
        dir: outboxDir(config.dataDir),
        host: '127.0.0.1',
        port: config.MAILPACKR_SMTP_CAPTURE_PORT,
      }
    : undefined,
  tenantRate: { perSecond: config.MAILPACKR_SEND_RATE, burst: config.MAILPACKR_SEND_BURST },
  domains: { ...DEFAULT_DOMAIN_THROTTLE, maxConcurrency: config.MAILPACKR_DOMAIN_CONCURRENCY },
  retry: { ...DEFAULT_RETRY_SCHEDULE, windowMs: config.MAILPACKR_RETRY_WINDOW_HOURS * 3_600_000 },
});
