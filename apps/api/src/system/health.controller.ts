import { Controller, Get, Inject } from '@nestjs/common';

import type { MailpackrRuntime } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * Liveness and readiness for load balancers: no auth, no personal data, and cheap (one query),
 * since anyone can call it. Projection lag is in GraphQL `projectionStatus`, behind an API key.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  @Get()
  async health(): Promise<{ status: 'ok' }> {
    await this.runtime.pool.query('SELECT 1');
    return { status: 'ok' };
  }
}
