import { Controller, Get, Inject } from '@nestjs/common';

import type { MailpackrRuntime } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';

/** Liveness and readiness for load balancers and orchestrators. No personal data, no auth. */
@Controller('health')
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Get()
  async health(): Promise<{
    status: 'ok';
    projections: Array<{ name: string; eventsBehind: number }>;
  }> {
    await this.runtime.pool.query('SELECT 1');
    const lag = await this.runtime.projections.lag();
    return {
      status: 'ok',
      projections: lag.map((l) => ({ name: l.name, eventsBehind: l.eventsBehind })),
    };
  }
}
