import type { Server } from 'node:http';

import { afterEach, describe, expect, it } from '@jest/globals';

import { MailpackrMetrics } from './metrics.js';
import { startOpsHttpServer } from './ops-http-server.js';
import type { Readiness, ReadinessProbe } from './readiness.js';

describe('Worker health, readiness and metrics server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  const start = async (
    config: { MAILPACKR_METRICS_TOKEN?: string; metricsOpen: boolean },
    status: Readiness['status'] = 'ready',
  ) => {
    const metrics = new MailpackrMetrics({ defaultMetrics: false });
    metrics.recordAppended([{ type: 'MessageSent' }, { type: 'MessageQueued' }]);
    const readiness = {
      check: () => Promise.resolve({ status, checks: {} } as unknown as Readiness),
    } as unknown as ReadinessProbe;
    server = await startOpsHttpServer({ config, metrics, readiness, host: '127.0.0.1', port: 0 });
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers });
  };

  describe('When it is open (no token, loopback)', () => {
    it('should answer /health, /ready and /metrics', async () => {
      const get = await start({ metricsOpen: true });
      expect(await (await get('/health')).json()).toEqual({ status: 'ok' });
      expect((await get('/ready')).status).toBe(200);
      const text = await (await get('/metrics')).text();
      expect(text).toContain('mailpackr_messages_total{outcome="sent"} 1');
      expect(text).toContain('mailpackr_events_appended_total{type="MessageQueued"} 1');
      expect((await get('/elsewhere')).status).toBe(404);
    });

    it('should answer 503 when not ready', async () => {
      const get = await start({ metricsOpen: true }, 'shutting_down');
      expect((await get('/ready')).status).toBe(503);
    });
  });

  describe('When a token is set, or metrics are closed', () => {
    it('should want the token, or answer 404', async () => {
      const token = 'a-metrics-token-0123456789';
      let get = await start({ MAILPACKR_METRICS_TOKEN: token, metricsOpen: true });
      expect((await get('/metrics')).status).toBe(401);
      expect((await get('/metrics', { authorization: `Bearer ${token}` })).status).toBe(200);
      await new Promise((resolve) => server!.close(resolve));
      get = await start({ metricsOpen: false });
      expect((await get('/metrics')).status).toBe(404);
    });
  });
});
