import { describe, expect, it } from '@jest/globals';

import {
  type SendOutcome,
  classifySendError,
  classifySmtpReply,
  enhancedStatusOf,
} from './send-outcome.js';

describe('SMTP reply classification', () => {
  describe('When the server replies', () => {
    const cases: ReadonlyArray<[string, number, string, Partial<SendOutcome>]> = [
      ['accepted', 250, '250 2.0.0 Ok: queued as 4F1', { kind: 'sent' }],
      ['accepted without enhanced code', 250, '250 Ok', { kind: 'sent' }],
      [
        'mailbox busy',
        450,
        '450 4.2.0 Mailbox busy',
        { kind: 'deferred', code: 450, enhanced: '4.2.0', throttle: false },
      ],
      [
        'service closing',
        421,
        '421 4.4.2 closing connection',
        { kind: 'deferred', code: 421, enhanced: '4.4.2', throttle: true },
      ],
      [
        '421 without enhanced code',
        421,
        '421 Too many connections',
        { kind: 'deferred', code: 421, enhanced: null, throttle: true },
      ],
      [
        'Gmail rate limit',
        421,
        '421-4.7.28 Our system has detected an unusual rate',
        { kind: 'deferred', code: 421, enhanced: '4.7.28', throttle: true },
      ],
      [
        'Microsoft temporary policy block',
        451,
        '451 4.7.650 The mail server has been temporarily rate limited',
        { kind: 'deferred', code: 451, enhanced: '4.7.650', throttle: true },
      ],
      [
        'greylisting',
        450,
        '450 4.7.1 Greylisted, try again',
        { kind: 'deferred', code: 450, enhanced: '4.7.1', throttle: true },
      ],
      [
        'local error',
        451,
        '451 4.3.0 Local error in processing',
        { kind: 'deferred', code: 451, enhanced: '4.3.0', throttle: false },
      ],
      [
        'unknown user',
        550,
        '550 5.1.1 <x@y.example>: Recipient address rejected: User unknown',
        { kind: 'bounced', code: 550, enhanced: '5.1.1', policy: false },
      ],
      [
        'policy block',
        554,
        '554 5.7.1 Service unavailable; client host blocked',
        { kind: 'bounced', code: 554, enhanced: '5.7.1', policy: true },
      ],
      [
        'mailbox full, permanent',
        552,
        '552 5.2.2 Mailbox full',
        { kind: 'bounced', code: 552, enhanced: '5.2.2', policy: false },
      ],
      [
        '5xx without enhanced code',
        550,
        '550 No such user here',
        { kind: 'bounced', code: 550, enhanced: null, policy: false },
      ],
      [
        '5xx whose enhanced class does not match is still a bounce',
        550,
        '550 4.7.1 try later',
        { kind: 'bounced', code: 550, enhanced: null, policy: false },
      ],
      [
        'reply text without the code in front',
        450,
        '4.2.1 Slow down',
        { kind: 'deferred', code: 450, enhanced: '4.2.1' },
      ],
      ['3xx as a final reply', 354, '354 go ahead', { kind: 'failed' }],
      ['no code at all', 0, 'garbage', { kind: 'failed' }],
    ];

    it.each(cases)('should classify %s', (_name, code, reply, expected) => {
      expect(classifySmtpReply(code, reply)).toMatchObject(expected);
    });

    it('should never retry a 5xx, whatever its text says', () => {
      for (let code = 500; code <= 599; code++) {
        expect(classifySmtpReply(code, `${code} 4.2.0 please try again later`).kind).toBe(
          'bounced',
        );
      }
    });

    it('should keep the reply, bounded', () => {
      const long = `550 5.1.1 ${'x'.repeat(5000)}`;
      const outcome = classifySmtpReply(550, long);
      expect(outcome.kind === 'bounced' && outcome.reply.length).toBeLessThanOrEqual(513);
    });
  });

  describe('When nodemailer reports an error', () => {
    it('should classify a refused recipient by its reply', () => {
      const error = Object.assign(new Error("Can't send mail - all recipients were rejected"), {
        code: 'EENVELOPE',
        responseCode: 550,
        response: '550 5.1.1 Mailbox unknown',
        command: 'RCPT TO',
      });
      expect(classifySendError(error)).toEqual({
        kind: 'bounced',
        reply: '550 5.1.1 Mailbox unknown',
        code: 550,
        enhanced: '5.1.1',
        policy: false,
      });
    });

    it('should call a connection error failed', () => {
      const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), {
        code: 'ESOCKET',
      });
      expect(classifySendError(error)).toEqual({
        kind: 'failed',
        reason: 'ESOCKET: connect ECONNREFUSED 127.0.0.1:2525',
      });
      expect(classifySendError('boom')).toEqual({ kind: 'failed', reason: 'boom' });
    });
  });

  describe('When the enhanced status code is read', () => {
    it.each([
      [250, '250 2.6.0 Message accepted', '2.6.0'],
      [550, '550-5.1.1 first line\r\n550 5.1.1 last line', '5.1.1'],
      [421, '421 4.07.001 leading zeros', '4.7.1'],
      [550, '550 5.1 incomplete', null],
      [550, '550 5.1.1.1 too long', null],
      [451, '451 mail from 5.7.1 later in the text', null],
    ] as const)('should read %s %s', (code, reply, expected) => {
      expect(enhancedStatusOf(code, reply)).toBe(expected);
    });
  });
});
