import { randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { type InboundReport, MAX_REPORT_RECIPIENTS, parseInboundReport } from './inbound-report.js';

const CRLF = '\r\n';
const BOUNCE_DOMAIN = 'bounces.mailpackr.test';

/** What our outgoing mail carries (see delivery/message-headers.ts). */
interface Sent {
  messageId: string;
  verp: string;
}

const aSentMessage = (overrides: Partial<Sent> = {}): Sent => ({
  messageId: randomUUID(),
  verp: `bounces+${'ab2cd3ef4gh5ij6kl7mn'.repeat(2)}qr@${BOUNCE_DOMAIN}`,
  ...overrides,
});

const lines = (...text: string[]): string => text.join(CRLF);

/** The header section of one of our campaign messages, as a receiving MTA would return it. */
const ourHeaders = (sent: Sent): string =>
  lines(
    `Return-Path: <${sent.verp}>`,
    'Received: from mta1.mailpackr.test (mta1.mailpackr.test [192.0.2.10])',
    '\tby mx.example.org (Postfix) with ESMTPS id 4XyZ1; Mon,  3 Mar 2025 09:59:58 +0000 (UTC)',
    `Message-ID: <${sent.messageId}@${BOUNCE_DOMAIN}>`,
    `X-MailPackr-Message: ${sent.messageId}`,
    'Feedback-ID: campaign-1:tenant-1:mailpackr:pool-a',
    'From: Shop News <news@shop.test>',
    'To: alice@example.org',
    'Subject: Spring sale',
    'MIME-Version: 1.0',
  );

const ourMessage = (sent: Sent): string =>
  lines(
    ourHeaders(sent),
    'Content-Type: multipart/alternative; boundary="alt-1"',
    '',
    '--alt-1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Spring sale: 20% off. Status 5.1.1 of our catalogue is not a bounce.',
    '--alt-1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Spring sale</p>',
    '--alt-1--',
  );

/** A Postfix bounce: one recipient failed (5.1.1), one delayed (4.2.2), the message returned whole. */
const aPostfixDsn = (sent: Sent, envelopeId = 'env-42'): string =>
  lines(
    'Return-Path: <>',
    'Received: by mx.example.net (Postfix) id 1234ABC; Mon,  3 Mar 2025 10:00:00 +0000 (UTC)',
    'Date: Mon,  3 Mar 2025 10:00:00 +0000 (UTC)',
    'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${sent.verp}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="1234ABC.1741000000/mx.example.net"',
    'Message-Id: <20250303100000.1234ABC@mx.example.net>',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--1234ABC.1741000000/mx.example.net',
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.net.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    '<alice@example.org>: host mx.example.org[198.51.100.7] said: 550 5.1.1',
    '    <alice@example.org>: Recipient address rejected: User unknown in virtual',
    '    mailbox table (in reply to RCPT TO command)',
    '',
    '--1234ABC.1741000000/mx.example.net',
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    'X-Postfix-Queue-ID: 1234ABC',
    `X-Postfix-Sender: rfc822; ${sent.verp}`,
    'Arrival-Date: Mon,  3 Mar 2025 09:59:58 +0000 (UTC)',
    `Original-Envelope-Id: ${envelopeId}`,
    '',
    'Final-Recipient: rfc822; alice@example.org',
    'Original-Recipient: rfc822;alice@example.org',
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.org',
    'Diagnostic-Code: smtp; 550 5.1.1 <alice@example.org>: Recipient address',
    '    rejected: User unknown in virtual mailbox table',
    '',
    'Final-Recipient: rfc822; bob@example.com',
    'Action: delayed',
    'Status: 4.2.2',
    'Will-Retry-Until: Thu,  6 Mar 2025 09:59:58 +0000 (UTC)',
    'Diagnostic-Code: smtp; 452 4.2.2 <bob@example.com>: Mailbox full',
    '',
    '--1234ABC.1741000000/mx.example.net',
    'Content-Description: Undelivered Message',
    'Content-Type: message/rfc822',
    '',
    ourMessage(sent),
    '',
    '--1234ABC.1741000000/mx.example.net--',
    '',
  );

/** A report that returns only the header section, with sloppy field names and a policy block. */
const aHeadersOnlyDsn = (sent: Sent): string =>
  lines(
    'From: postmaster@outlook.example',
    'To: <bounces@bounces.mailpackr.test>',
    'Subject: Undeliverable: Spring sale',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type="delivery-status"; boundary="b-2"',
    '',
    '--b-2',
    'Content-Type: text/plain',
    '',
    'Delivery has failed to these recipients or groups.',
    '--b-2',
    'Content-Type: message/delivery-status',
    '',
    'reporting-mta: dns;BN8PR.outlook.example',
    '',
    'final-recipient: RFC822;<carol@example.net>',
    'ACTION: Failed',
    'status: 5.7.1',
    'diagnostic-code: smtp;550 5.7.1 Service unavailable, Client host [192.0.2.10] blocked',
    '  using Spamhaus',
    '',
    '--b-2',
    'Content-Type: text/rfc822-headers',
    '',
    ourHeaders(sent),
    '',
    '--b-2--',
  );

/** An ARF abuse report (RFC 5965) from a feedback loop, the original attached. */
const anArfReport = (sent: Sent, feedbackType = 'abuse'): string =>
  lines(
    'From: <feedbackloop@isp.example>',
    'Date: Thu, 6 Mar 2025 14:00:00 -0500',
    'Subject: FW: Spring sale',
    `To: <abuse@${BOUNCE_DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report;',
    '     boundary="part1_13d.2e68ed54_boundary"',
    '',
    '--part1_13d.2e68ed54_boundary',
    'Content-Type: text/plain; charset="US-ASCII"',
    'Content-Transfer-Encoding: 7bit',
    '',
    'This is an email abuse report for an email message received from IP',
    '192.0.2.10 on Thu, 6 Mar 2025 14:00:00 -0500.',
    '',
    '--part1_13d.2e68ed54_boundary',
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${feedbackType}`,
    'User-Agent: SomeGenerator/1.0',
    'Version: 1',
    `Original-Mail-From: <${sent.verp}>`,
    'Original-Rcpt-To: <dave@isp.example>',
    'Arrival-Date: Thu, 6 Mar 2025 13:59:00 -0500',
    'Source-IP: 192.0.2.10',
    '',
    '--part1_13d.2e68ed54_boundary',
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    ourMessage(sent),
    '',
    '--part1_13d.2e68ed54_boundary--',
  );

/** A bounce that is not multipart/report: the message quoted in the text. */
const aGmailStyleBounce = (sent: Sent): string =>
  lines(
    'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
    `To: ${sent.verp}`,
    'Subject: Delivery Status Notification (Failure)',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    '** Address not found **',
    '',
    "Your message wasn't delivered to erin@example.com because the address couldn't be",
    'found, or is unable to receive mail.',
    '',
    'The response from the remote server was:',
    "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address.",
    '',
    '----- Original message -----',
    '',
    ourHeaders(sent),
    '',
    'Spring sale',
  );

/** Runs the parser, but fails instead of waiting when it does not settle in time. */
const parseWithin = async (
  raw: Buffer | string,
  ms: number,
  options?: { maxBytes?: number },
): Promise<InboundReport | 'hung'> => {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([parseInboundReport(raw, options), hung]);
  } finally {
    clearTimeout(timer);
  }
};

const KINDS = ['dsn', 'complaint', 'unknown'];

/** Every report, whatever its input, has the promised shape. */
const expectWellFormed = (report: InboundReport | 'hung'): void => {
  expect(report).not.toBe('hung');
  if (report === 'hung') return;
  expect(KINDS).toContain(report.kind);
  if (report.kind === 'dsn') {
    expect(report.recipients.length).toBeGreaterThan(0);
    expect(report.recipients.length).toBeLessThanOrEqual(MAX_REPORT_RECIPIENTS);
    for (const recipient of report.recipients) {
      expect(['hard', 'soft', 'blocked']).toContain(recipient.bounce);
    }
  }
  if (report.kind !== 'unknown') {
    expect(Array.isArray(report.original.messageIds)).toBe(true);
    expect(Array.isArray(report.original.returnPaths)).toBe(true);
  }
};

describe('Inbound report parsing', () => {
  describe('When a delivery status notification arrives', () => {
    it('should read every recipient and the returned message', async () => {
      const sent = aSentMessage();

      const report = await parseInboundReport(aPostfixDsn(sent));

      expect(report).toEqual({
        kind: 'dsn',
        recipients: [
          {
            action: 'failed',
            status: '5.1.1',
            diagnosticCode:
              'smtp; 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
            finalRecipient: 'alice@example.org',
            bounce: 'hard',
          },
          {
            action: 'delayed',
            status: '4.2.2',
            diagnosticCode: 'smtp; 452 4.2.2 <bob@example.com>: Mailbox full',
            finalRecipient: 'bob@example.com',
            bounce: 'soft',
          },
        ],
        original: {
          messageIds: [`${sent.messageId}@${BOUNCE_DOMAIN}`],
          returnPaths: [sent.verp],
          xMailpackrMessage: sent.messageId,
          envelopeId: 'env-42',
        },
      });
    });

    it('should read the same report from a Buffer with bare LF line ends', async () => {
      const sent = aSentMessage();
      const raw = Buffer.from(aPostfixDsn(sent).replaceAll(CRLF, '\n'));

      const report = await parseInboundReport(raw);

      expect(report).toMatchObject({
        kind: 'dsn',
        recipients: [
          { finalRecipient: 'alice@example.org' },
          { finalRecipient: 'bob@example.com' },
        ],
        original: { xMailpackrMessage: sent.messageId },
      });
    });

    it('should read a returned header section and field names in any case', async () => {
      const sent = aSentMessage();

      const report = await parseInboundReport(aHeadersOnlyDsn(sent));

      expect(report).toEqual({
        kind: 'dsn',
        recipients: [
          {
            action: 'failed',
            status: '5.7.1',
            diagnosticCode:
              'smtp;550 5.7.1 Service unavailable, Client host [192.0.2.10] blocked using Spamhaus',
            finalRecipient: 'carol@example.net',
            bounce: 'blocked',
          },
        ],
        original: {
          messageIds: [`${sent.messageId}@${BOUNCE_DOMAIN}`],
          returnPaths: [sent.verp],
          xMailpackrMessage: sent.messageId,
          envelopeId: null,
        },
      });
    });

    it('should read an internationalised report (RFC 6533)', async () => {
      const sent = aSentMessage();
      const raw = aPostfixDsn(sent)
        .replace(
          'Content-Type: message/delivery-status',
          'Content-Type: message/global-delivery-status',
        )
        .replace('Content-Type: message/rfc822', 'Content-Type: message/global');

      const report = await parseInboundReport(raw);

      expect(report).toMatchObject({
        kind: 'dsn',
        recipients: [{ bounce: 'hard' }, { bounce: 'soft' }],
        original: { xMailpackrMessage: sent.messageId },
      });
    });

    it('should keep the envelope sender when the message is not returned', async () => {
      const sent = aSentMessage();
      const raw = aPostfixDsn(sent).replace(
        /--[^\r\n]+\r\nContent-Description: Undelivered Message[\s\S]*(?=--1234ABC[^\r\n]+--)/,
        '',
      );

      const report = await parseInboundReport(raw);

      expect(report).toMatchObject({
        kind: 'dsn',
        original: {
          messageIds: [],
          returnPaths: [sent.verp],
          xMailpackrMessage: null,
          envelopeId: 'env-42',
        },
      });
    });
  });

  describe('When a complaint arrives', () => {
    it('should read the feedback type and the original message', async () => {
      const sent = aSentMessage();

      const report = await parseInboundReport(anArfReport(sent));

      expect(report).toEqual({
        kind: 'complaint',
        feedbackType: 'abuse',
        original: {
          messageIds: [`${sent.messageId}@${BOUNCE_DOMAIN}`],
          returnPaths: [sent.verp],
          xMailpackrMessage: sent.messageId,
          envelopeId: null,
        },
      });
    });

    it('should report the feedback type as written, lower case', async () => {
      const report = await parseInboundReport(anArfReport(aSentMessage(), 'Not-Spam'));

      expect(report).toMatchObject({ kind: 'complaint', feedbackType: 'not-spam' });
    });
  });

  describe('When a bounce is not a multipart/report', () => {
    it('should read its status and find the message it quotes', async () => {
      const sent = aSentMessage();

      const report = await parseInboundReport(aGmailStyleBounce(sent));

      expect(report).toEqual({
        kind: 'dsn',
        recipients: [
          {
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: expect.stringMatching(
              /^550 5\.1\.1 The email account that you tried to reach does not exist\./,
            ) as unknown as string,
            finalRecipient: null,
            bounce: 'hard',
          },
        ],
        original: {
          messageIds: [`${sent.messageId}@${BOUNCE_DOMAIN}`],
          returnPaths: [sent.verp],
          xMailpackrMessage: sent.messageId,
          envelopeId: null,
        },
      });
    });

    it('should call a temporary failure delayed', async () => {
      const raw = aGmailStyleBounce(aSentMessage())
        .replace('(Failure)', '(Delay)')
        .replace('550 5.1.1', '421 4.7.28');

      const report = await parseInboundReport(raw);

      expect(report).toMatchObject({
        kind: 'dsn',
        recipients: [{ action: 'delayed', status: '4.7.28', bounce: 'soft' }],
      });
    });

    it('should fall back on the text of a delivery report without recipients', async () => {
      const sent = aSentMessage();
      const raw = aPostfixDsn(sent).replace(
        /Final-Recipient[\s\S]*?(?=\r\n--1234ABC)/,
        'X-Nothing: here\r\n',
      );

      expect(await parseInboundReport(raw)).toEqual({
        kind: 'dsn',
        recipients: [
          {
            action: 'failed',
            status: '5.1.1',
            diagnosticCode:
              '<alice@example.org>: host mx.example.org[198.51.100.7] said: 550 5.1.1',
            finalRecipient: null,
            bounce: 'hard',
          },
        ],
        original: {
          messageIds: [`${sent.messageId}@${BOUNCE_DOMAIN}`],
          returnPaths: [sent.verp],
          xMailpackrMessage: sent.messageId,
          envelopeId: 'env-42',
        },
      });
    });

    it('should not take a bounce-like subject without a status for a bounce', async () => {
      const raw = lines(
        'Subject: Re: Undelivered Mail Returned to Sender',
        '',
        'Why did this bounce?',
      );

      expect(await parseInboundReport(raw)).toEqual({
        kind: 'unknown',
        reason: 'not a delivery or feedback report',
      });
    });
  });

  describe('When the mail is not a report', () => {
    it.each([
      [
        'a human reply',
        lines('From: a@b.example', 'Subject: Re: Spring sale', '', 'Stop, 5.1.1 please'),
      ],
      ['garbage', '\u0000\u0001\uffff%%%--\r\n\r\n::::'],
      ['a lone boundary', lines('Content-Type: multipart/report; boundary=x', '', '--x', '--x--')],
    ])('should call %s unknown', async (_name, raw) => {
      expect(await parseInboundReport(raw)).toMatchObject({ kind: 'unknown' });
    });

    it('should call an empty mail unknown', async () => {
      expect(await parseInboundReport('')).toEqual({ kind: 'unknown', reason: 'empty message' });
      expect(await parseInboundReport(Buffer.from(' \r\n\t'))).toEqual({
        kind: 'unknown',
        reason: 'empty message',
      });
    });

    it('should name a report type it does not handle', async () => {
      const raw = lines(
        'Subject: Read: Spring sale',
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"',
        '',
        '--m',
        'Content-Type: message/disposition-notification',
        '',
        'Disposition: manual-action/MDN-sent-manually; displayed',
        '--m--',
      );

      expect(await parseInboundReport(raw)).toEqual({
        kind: 'unknown',
        reason: 'unsupported report type: disposition-notification',
      });
    });

    it('should call a delivery report without recipients unknown', async () => {
      const raw = aPostfixDsn(aSentMessage())
        .replace('Subject: Undelivered Mail Returned to Sender', 'Subject: Report')
        .replace(/Final-Recipient[\s\S]*?(?=\r\n--1234ABC)/, 'X-Nothing: here\r\n');

      expect(await parseInboundReport(raw)).toEqual({
        kind: 'unknown',
        reason: 'delivery report names no recipient',
      });
    });

    it('should call input that is neither a Buffer nor a string unknown', async () => {
      expect(await parseInboundReport(null as unknown as string)).toMatchObject({
        kind: 'unknown',
      });
      expect(await parseInboundReport({} as unknown as string)).toMatchObject({ kind: 'unknown' });
    });
  });

  describe('When the mail is too big', () => {
    const elevenMiB = 11 * 1024 * 1024;

    it('should refuse it without parsing it, as a string or a Buffer', async () => {
      const dsn = aPostfixDsn(aSentMessage());
      const huge = dsn + 'x'.repeat(elevenMiB - dsn.length);

      const started = Date.now();
      expect(await parseInboundReport(huge)).toEqual({
        kind: 'unknown',
        reason: `message larger than ${10 * 1024 * 1024} bytes`,
      });
      expect(await parseInboundReport(Buffer.alloc(elevenMiB, 'a'))).toMatchObject({
        kind: 'unknown',
      });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('should count bytes, not characters, and honour maxBytes', async () => {
      const dsn = aPostfixDsn(aSentMessage());
      const bytes = Buffer.byteLength(dsn);

      expect(await parseInboundReport(dsn, { maxBytes: bytes })).toMatchObject({ kind: 'dsn' });
      expect(await parseInboundReport(dsn, { maxBytes: bytes - 1 })).toMatchObject({
        kind: 'unknown',
      });
      expect(await parseInboundReport('é'.repeat(600), { maxBytes: 1000 })).toMatchObject({
        kind: 'unknown',
        reason: 'message larger than 1000 bytes',
      });
    });
  });

  describe('When the input is arbitrary', () => {
    it('should settle quickly and never reject for any text', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 400 }),
            fc.string({ unit: 'grapheme-ascii', maxLength: 400 }),
          ),
          async (raw) => expectWellFormed(await parseWithin(raw, 2000)),
        ),
        { numRuns: 100 },
      );
    });

    it('should settle quickly and never reject for any bytes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) =>
          expectWellFormed(await parseWithin(Buffer.from(bytes), 2000)),
        ),
        { numRuns: 100 },
      );
    });

    const reports = [
      aPostfixDsn(aSentMessage()),
      aHeadersOnlyDsn(aSentMessage()),
      anArfReport(aSentMessage()),
      aGmailStyleBounce(aSentMessage()),
    ];
    const aReport = fc.constantFrom(...reports);

    it('should settle quickly and never reject for a truncated report', async () => {
      await fc.assert(
        fc.asyncProperty(aReport, fc.double({ min: 0, max: 1, noNaN: true }), async (raw, cut) =>
          expectWellFormed(await parseWithin(raw.slice(0, Math.floor(raw.length * cut)), 2000)),
        ),
        { numRuns: 60 },
      );
    });

    it('should settle quickly and never reject for a report with lines inserted', async () => {
      const aLine = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.constantFrom(
          '',
          ' ',
          '--',
          'Content-Type: multipart/report; boundary=""',
          'Content-Type: message/delivery-status',
          'Content-Transfer-Encoding: base64',
          'Action: failed',
          'Status: 5.9.999',
          'Final-Recipient: ;',
          '\tfolded continuation',
          '--1234ABC.1741000000/mx.example.net',
          '--part1_13d.2e68ed54_boundary--',
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          aReport,
          fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), aLine), { maxLength: 8 }),
          async (raw, insertions) => {
            const split = raw.split(CRLF);
            for (const [at, line] of insertions) {
              split.splice(Math.floor(split.length * at), 0, line);
            }
            expectWellFormed(await parseWithin(split.join(CRLF), 2000));
          },
        ),
        { numRuns: 60 },
      );
    });

    it('should classify every generated status in a report as classifyBounce does', async () => {
      const status = fc
        .tuple(
          fc.constantFrom(4, 5),
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 20 }),
        )
        .map(([klass, subject, detail]) => `${klass}.${subject}.${detail}`);
      await fc.assert(
        fc.asyncProperty(status, async (code) => {
          const raw = aPostfixDsn(aSentMessage())
            .replace('Status: 5.1.1', `Status: ${code}`)
            .replace('550 5.1.1 <alice@example.org>: Recipient address', '550 <alice@example.org>:')
            .replace('    rejected: User unknown in virtual mailbox table', '    rejected');
          const report = await parseInboundReport(raw);
          const [klass, subject, detail] = code.split('.').map(Number);
          const expected =
            klass === 4
              ? 'soft'
              : subject === 7 || (subject === 1 && (detail === 7 || detail === 8))
                ? 'blocked'
                : subject === 1 || (subject === 2 && detail === 1)
                  ? 'hard'
                  : 'soft';
          expect(report).toMatchObject({
            kind: 'dsn',
            recipients: [{ status: code, bounce: expected }, { bounce: 'soft' }],
          });
        }),
        { numRuns: 50 },
      );
    });
  });
});
