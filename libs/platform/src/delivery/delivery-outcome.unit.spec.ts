import 'reflect-metadata';

import { randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { ConfigError, loadConfig } from '../config/app.config.js';
import { fromHeader, outcomeCommand, redactAddresses } from './delivery-outcome.js';
import type { NextAttempt } from './retry-schedule.js';
import { classifySmtpReply } from './send-outcome.js';

describe('Delivery outcome', () => {
  const target = { messageId: randomUUID(), tenantId: randomUUID(), workerId: 'worker-1' };
  const now = new Date('2026-11-29T10:00:00Z');
  const retryAt = new Date('2026-11-29T10:01:00Z');
  const retry = (): NextAttempt => ({ kind: 'retry', at: retryAt });
  const expired = (): NextAttempt => ({ kind: 'expired' });
  const notAsked = (): NextAttempt => {
    throw new Error('the retry schedule is only asked for a retry');
  };

  describe('When the server accepted the message', () => {
    it('should record it as sent with the reply', () =>
      expect(outcomeCommand(target, classifySmtpReply(250, '250 2.0.0 Ok'), notAsked, now)).toEqual(
        {
          type: 'RecordMessageSent',
          data: { ...target, smtpReply: '250 2.0.0 Ok' },
          metadata: { now },
        },
      ));
  });

  describe('When the server answered 5xx', () => {
    it('should record a bounce with its RFC 3463 status, and never ask for a retry', () =>
      expect(
        outcomeCommand(target, classifySmtpReply(550, '550 5.1.1 No such user'), notAsked, now),
      ).toEqual({
        type: 'BounceMessage',
        data: { ...target, smtpReply: '550 5.1.1 No such user', status: '5.1.1', kind: 'hard' },
        metadata: { now },
      }));

    it('should record a bounce without a status when the reply has none', () =>
      expect(
        outcomeCommand(target, classifySmtpReply(554, '554 Go away'), notAsked, now),
      ).toMatchObject({ type: 'BounceMessage', data: { status: null } }));
  });

  describe('When the server answered 4xx', () => {
    it('should defer the message to the next attempt', () =>
      expect(
        outcomeCommand(target, classifySmtpReply(450, '450 4.2.0 Mailbox busy'), retry, now),
      ).toEqual({
        type: 'DeferMessage',
        data: { ...target, smtpReply: '450 4.2.0 Mailbox busy', nextAttemptAt: retryAt },
        metadata: { now },
      }));

    it('should fail the message once the retry window is over', () =>
      expect(
        outcomeCommand(target, classifySmtpReply(421, '421 4.7.0 Try later'), expired, now),
      ).toEqual({
        type: 'FailMessage',
        data: { ...target, reason: 'retry window expired; last reply: 421 4.7.0 Try later' },
        metadata: { now },
      }));

    it('should never defer to a time that is not after now', () => {
      const command = outcomeCommand(
        target,
        classifySmtpReply(451, '451 Try again'),
        () => ({ kind: 'retry', at: now }),
        now,
      );
      expect(command.type).toBe('DeferMessage');
      expect(command.type === 'DeferMessage' && command.data.nextAttemptAt > now).toBe(true);
    });
  });

  describe('When there was no reply', () => {
    it('should defer the message, saying so', () =>
      expect(
        outcomeCommand(target, { kind: 'failed', reason: 'ECONNREFUSED: refused' }, retry, now),
      ).toMatchObject({
        type: 'DeferMessage',
        data: { smtpReply: 'no reply: ECONNREFUSED: refused', nextAttemptAt: retryAt },
      }));
  });

  describe('When a From header is built', () => {
    it('should quote the name and keep the address', () => {
      expect(fromHeader(null, 'news@acme.example')).toBe('news@acme.example');
      expect(fromHeader('  ', 'news@acme.example')).toBe('news@acme.example');
      expect(fromHeader('Acme "News" \\ Co', 'news@acme.example')).toBe(
        '"Acme \\"News\\" \\\\ Co" <news@acme.example>',
      );
    });

    it('should never let a name break into another header', () =>
      expect(fromHeader('Acme\r\nBcc: x@evil.example', 'news@acme.example')).not.toMatch(/[\r\n]/));
  });

  describe('When text goes to a log', () => {
    it('should blank every address in it', () =>
      expect(redactAddresses('550 5.1.1 <ada@example.org>: unknown; also bob@x.example')).toBe(
        '550 5.1.1 <[address]>: unknown; also [address]',
      ));
  });
});

describe('Delivery configuration', () => {
  describe('When nothing is set', () => {
    it('should send every second, from the default bounce domain', () => {
      const config = loadConfig({}, {});
      expect(config.MAILPACKR_DELIVERY_INTERVAL_MS).toBe(1000);
      expect(config.MAILPACKR_BOUNCE_DOMAIN).toBe('bounces.mailpackr.localhost');
      expect(config.MAILPACKR_SMTP_CAPTURE_PORT).toBe(2525);
    });
  });

  describe('When the settings are given', () => {
    it('should take 0 as "sending off" and "any free port"', () => {
      const config = loadConfig(
        {},
        {
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
          MAILPACKR_BOUNCE_DOMAIN: 'bounces.acme.example',
        },
      );
      expect(config.MAILPACKR_DELIVERY_INTERVAL_MS).toBe(0);
      expect(config.MAILPACKR_SMTP_CAPTURE_PORT).toBe(0);
      expect(config.MAILPACKR_BOUNCE_DOMAIN).toBe('bounces.acme.example');
    });

    it.each([
      ['MAILPACKR_DELIVERY_INTERVAL_MS', '-1'],
      ['MAILPACKR_DELIVERY_INTERVAL_MS', 'often'],
      ['MAILPACKR_DELIVERY_INTERVAL_MS', '3600001'],
      ['MAILPACKR_BOUNCE_DOMAIN', 'localhost'],
      ['MAILPACKR_BOUNCE_DOMAIN', 'bounces.acme.example\r\nBcc: x'],
      ['MAILPACKR_BOUNCE_DOMAIN', 'user@acme.example'],
    ])('should refuse %s=%j at start', (key, value) => {
      expect(() => loadConfig({}, { [key]: value })).toThrow(ConfigError);
    });
  });
});
