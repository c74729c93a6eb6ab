import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';

import type { MailpackrRuntime, Readiness } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * Liveness and readiness for load balancers and orchestrators: no auth, no personal data, no
 * error texts. Projection lag per projection is also in GraphQL `projectionStatus`.
 */
@Controller()
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  /** Liveness: the process is up and serving HTTP. Touches nothing else (a database outage is not a reason to restart it). */
  @Get('health')
  @Header('cache-control', 'no-store')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database and the event store answer, every projection is within
   * `MAILPACKR_READY_MAX_LAG` events of the log, and the process is not shutting down.
   * 200 when ready, 503 otherwise, with the checks in the body either way.
   */
  @Get('ready')
  @Header('cache-control', 'no-store')
  async ready(@Res({ passthrough: true }) res: Response): Promise<Readiness> {
    const readiness = await this.runtime.readiness.check();
    res.status(readiness.status === 'ready' ? 200 : 503);
    return readiness;
  }
}
