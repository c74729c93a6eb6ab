import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { type MailpackrRuntime, metricsAccess } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * Prometheus metrics (text exposition format). With `MAILPACKR_METRICS_TOKEN` set, a scraper
 * sends `Authorization: Bearer <token>`; without it, the endpoint is open on a loopback HOST or
 * outside production, and answers 404 otherwise. The metrics hold counts, latencies and
 * projection names: no personal data, no tenant ids.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Get()
  async metrics(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { config, metrics } = this.runtime;
    res.setHeader('cache-control', 'no-store');
    const access = metricsAccess(config, req.headers.authorization);
    if (access === 'unauthorized') {
      res
        .status(401)
        .setHeader('www-authenticate', 'Bearer realm="metrics"')
        .json({ error: 'Send Authorization: Bearer <MAILPACKR_METRICS_TOKEN>' });
      return;
    }
    if (access === 'disabled') {
      res.status(404).json({ error: 'Not found: set MAILPACKR_METRICS_TOKEN to enable /metrics' });
      return;
    }
    res
      .status(200)
      .setHeader('content-type', metrics.contentType)
      .send(await metrics.metrics());
  }
}
