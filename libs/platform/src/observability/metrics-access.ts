import { createHash, timingSafeEqual } from 'node:crypto';

import type { AppConfig } from '../config/app.config.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether a scrape may read `/metrics`: with `MAILPACKR_METRICS_TOKEN` set, only with
 * `Authorization: Bearer <token>` (compared in constant time); without it, when the config says
 * the endpoint is open (loopback HOST, or not production), `disabled` otherwise.
 */
export const metricsAccess = (
  config: Pick<AppConfig, 'MAILPACKR_METRICS_TOKEN' | 'metricsOpen'>,
  authorization: string | undefined,
): 'ok' | 'unauthorized' | 'disabled' => {
  const token = config.MAILPACKR_METRICS_TOKEN;
  if (!token) return config.metricsOpen ? 'ok' : 'disabled';
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match && timingSafeEqual(digest(match[1]!), digest(token)) ? 'ok' : 'unauthorized';
};
