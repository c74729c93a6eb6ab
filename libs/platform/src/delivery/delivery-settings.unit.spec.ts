import 'reflect-metadata';

import { join, resolve } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { ConfigError, loadConfig } from '../config/app.config.js';
import { deliverySettings } from './delivery-settings.js';
import { MailTransportError, smtpPoolOptions } from './mail-transport.js';

describe('Delivery settings', () => {
  describe('When SMTP_URL is unset', () => {
    it('should send to the embedded capture server in <data dir>/outbox', () => {
      const settings = deliverySettings(loadConfig({}, { MAILPACKR_DATA_DIR: '/tmp/mp-data' }));
      expect(settings.transport).toEqual({
        url: 'smtp://127.0.0.1:2525',
        maxConnections: 5,
        maxMessages: 100,
      });
      expect(settings.capture).toEqual({
        dir: join(resolve('/tmp/mp-data'), 'outbox'),
        host: '127.0.0.1',
        port: 2525,
      });
      expect(settings.tenantRate).toEqual({ perSecond: 100, burst: 200 });
      expect(settings.domains.maxConcurrency).toBe(5);
      expect(settings.retry.windowMs).toBe(24 * 3_600_000);
    });
  });

  describe('When SMTP_URL and the limits are set', () => {
    it('should use them and start no capture server', () => {
      const settings = deliverySettings(
        loadConfig(
          {},
          {
            SMTP_URL: 'smtps://user:secret@smtp.example.com:465',
            MAILPACKR_SMTP_MAX_CONNECTIONS: '20',
            MAILPACKR_SEND_RATE: '500',
            MAILPACKR_SEND_BURST: '1000',
            MAILPACKR_DOMAIN_CONCURRENCY: '10',
            MAILPACKR_RETRY_WINDOW_HOURS: '48',
          },
        ),
      );
      expect(settings.transport).toMatchObject({
        url: 'smtps://user:secret@smtp.example.com:465',
        maxConnections: 20,
      });
      expect(settings.capture).toBeUndefined();
      expect(settings.tenantRate).toEqual({ perSecond: 500, burst: 1000 });
      expect(settings.domains.maxConcurrency).toBe(10);
      expect(settings.retry.windowMs).toBe(48 * 3_600_000);
    });

    it.each(['http://smtp.example.com', 'smtp://', 'smtp://a b', 'mail.example.com:25'])(
      'should refuse SMTP_URL=%s at start',
      (url) => {
        expect(() => loadConfig({}, { SMTP_URL: url })).toThrow(ConfigError);
      },
    );
  });

  describe('When the transport reads the URL', () => {
    it('should take host, port, TLS and credentials from it', () => {
      expect(smtpPoolOptions({ url: 'smtps://u%40x:p%3Aw@mx.example' })).toMatchObject({
        host: 'mx.example',
        port: 465,
        secure: true,
        auth: { user: 'u@x', pass: 'p:w' },
        pool: true,
        maxRequeues: 3,
      });
      expect(smtpPoolOptions({ url: 'smtp://[::1]:2525', maxConnections: 3 })).toMatchObject({
        host: '::1',
        port: 2525,
        secure: false,
        maxConnections: 3,
      });
      expect(() => smtpPoolOptions({ url: 'http://example.org' })).toThrow(MailTransportError);
      expect(() => smtpPoolOptions({ url: 'not a url' })).toThrow(MailTransportError);
    });
  });
});

describe('Delivery settings that must fit together', () => {
  describe('When the claim lease is shorter than an SMTP transaction can take', () => {
    it.each([
      ['the default timeouts (120 s)', { MAILPACKR_CLAIM_LEASE_MS: '60000' }],
      [
        '3 × MAILPACKR_SMTP_TIMEOUT_MS',
        { MAILPACKR_CLAIM_LEASE_MS: '5000', MAILPACKR_SMTP_TIMEOUT_MS: '2000' },
      ],
    ])('should refuse to start, naming both settings (%s)', (_, env) => {
      expect(() => loadConfig({}, env)).toThrow(ConfigError);
      expect(() => loadConfig({}, env)).toThrow(
        /MAILPACKR_CLAIM_LEASE_MS.*MAILPACKR_SMTP_TIMEOUT_MS/s,
      );
    });
  });

  describe('When the lease outlives the transaction', () => {
    it('should start with a short lease and short timeouts', () => {
      const config = loadConfig(
        {},
        { MAILPACKR_CLAIM_LEASE_MS: '3000', MAILPACKR_SMTP_TIMEOUT_MS: '1000' },
      );
      expect(config.MAILPACKR_CLAIM_LEASE_MS).toBe(3000);
    });
  });
});
