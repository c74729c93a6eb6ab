import { describe, expect, it } from '@jest/globals';

import { redactEmails, redactLogValue } from './redact.js';

describe('Log redaction', () => {
  describe('When a text holds email addresses', () => {
    it('should blank every one, in SMTP replies, pg details and plain text', () => {
      expect(redactEmails('550 5.1.1 <alice.smith+news@example.org>: user unknown')).toBe(
        '550 5.1.1 <[email]>: user unknown',
      );
      expect(redactEmails('Key (email)=(bob@example.com) already exists')).toBe(
        'Key (email)=([email]) already exists',
      );
      expect(redactEmails('to carol@x.io, dave@y.io')).toBe('to [email], [email]');
      expect(redactEmails('no address here: 42 sent')).toBe('no address here: 42 sent');
    });
  });

  describe('When a log argument is an object or an error', () => {
    it('should redact nested strings and error messages and stacks', () => {
      const error = new Error('rejected eve@example.net');
      const redacted = redactLogValue({ a: ['x@y.zz'], b: { c: 'ok' }, n: 3, e: error }) as {
        a: string[];
        b: { c: string };
        n: number;
        e: Error;
      };
      expect(redacted.a).toEqual(['[email]']);
      expect(redacted.b).toEqual({ c: 'ok' });
      expect(redacted.n).toBe(3);
      expect(redacted.e.message).toBe('rejected [email]');
      expect(redacted.e.stack).not.toContain('eve@example.net');
      expect(error.message).toBe('rejected eve@example.net');
    });
  });
});

describe('Log redaction of long texts', () => {
  it('should stay fast on a long run without spaces', () => {
    const long = `${'x'.repeat(200_000)}@${'y'.repeat(200_000)}`;
    const started = performance.now();
    expect(redactEmails(long)).toContain('[email]');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
