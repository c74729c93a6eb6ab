import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { simpleParser } from 'mailparser';

import { MailTransport } from './mail-transport.js';
import { buildMessageHeaders, parseVerpAddress } from './message-headers.js';
import type { SendOutcome } from './send-outcome.js';
import { type RecipientScript, SmtpCaptureServer, outboxDir } from './smtp-capture.server.js';

const MESSAGES = 200;
const BOUNCE_DOMAIN = 'bounces.mailpackr.test';

describe('MailTransport over SMTP to the capture server', () => {
  const verpKey = randomBytes(32);
  const tenantId = randomUUID();
  const campaignId = randomUUID();
  let dataDir: string;
  let server: SmtpCaptureServer;
  let transport: MailTransport;

  const recipients = Array.from({ length: MESSAGES }, (_, i) => ({
    recipientId: randomUUID(),
    messageId: randomUUID(),
    address: `person.${i}@${['gmail.example', 'outlook.example', 'corp.example'][i % 3]}`,
  }));
  // Chosen recipients get scripted replies from the server instead of delivery.
  const scripted: Record<string, RecipientScript> = {
    [recipients[7]!.address]: { rcpt: { code: 450, enhanced: '4.2.0', text: 'Mailbox busy' } },
    [recipients[19]!.address]: { rcpt: { code: 550, enhanced: '5.1.1', text: 'User unknown' } },
    [recipients[42]!.address]: { data: { code: 554, enhanced: '5.7.1', text: 'Policy block' } },
    [recipients[99]!.address]: { rcpt: { code: 421, enhanced: '4.7.0', text: 'Try later' } },
    [recipients[150]!.address]: { data: { code: 451, enhanced: '4.3.0', text: 'Local error' } },
    // Stored, then the connection is cut before the reply: the sender cannot know it arrived.
    [recipients[120]!.address]: { data: { drop: true } },
  };

  let outcomes: SendOutcome[];
  let files: string[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mp-transport-'));
    server = await SmtpCaptureServer.start({ dir: outboxDir(dataDir), script: scripted });
    transport = new MailTransport({ url: server.url, maxConnections: 5, maxMessages: 50 });

    // Given 200 rendered messages, when all are handed to the pool at once
    outcomes = await Promise.all(
      recipients.map(({ recipientId, messageId, address }) => {
        const built = buildMessageHeaders(
          { tenantId, campaignId, messageId, recipientId },
          {
            unsubscribeUrl: `https://mail.example.com/unsubscribe/${messageId}.sig`,
            unsubscribeMailto: `unsubscribe@${BOUNCE_DOMAIN}`,
            bounceDomain: BOUNCE_DOMAIN,
            verpKey,
            feedbackSenderId: 'mp1',
          },
        );
        return transport.send({
          from: '"Acme News" <news@acme.example>',
          to: address,
          envelopeFrom: built.envelopeFrom,
          subject: `Spring news ${messageId}`,
          html: `<h1>Hello</h1><p>Message ${messageId}</p>${'<p>Lorem ipsum dolor sit amet.</p>'.repeat(200)}`,
          text: `Hello\nMessage ${messageId}`,
          headers: built.headers,
        });
      }),
    );
    files = await readdir(outboxDir(dataDir));
  });

  afterAll(async () => {
    await transport?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('should report the scripted outcomes for the chosen recipients', () => {
    expect(outcomes[7]).toMatchObject({
      kind: 'deferred',
      code: 450,
      enhanced: '4.2.0',
      throttle: false,
    });
    expect(outcomes[19]).toMatchObject({
      kind: 'bounced',
      code: 550,
      enhanced: '5.1.1',
      policy: false,
    });
    expect(outcomes[42]).toMatchObject({
      kind: 'bounced',
      code: 554,
      enhanced: '5.7.1',
      policy: true,
    });
    expect(outcomes[99]).toMatchObject({
      kind: 'deferred',
      code: 421,
      enhanced: '4.7.0',
      throttle: true,
    });
    expect(outcomes[150]).toMatchObject({
      kind: 'deferred',
      code: 451,
      enhanced: '4.3.0',
      throttle: false,
    });
  });

  it('should send every other message, once, each to its own .eml file', () => {
    const refused = new Set([7, 19, 42, 99, 150]);
    const sent = outcomes.filter((o) => o.kind === 'sent');
    expect(sent).toHaveLength(MESSAGES - refused.size - 1);
    expect(files).toHaveLength(MESSAGES - refused.size);
    expect(server.messages).toHaveLength(MESSAGES - refused.size);
    for (const [i, recipient] of recipients.entries()) {
      const stored = files.filter((f) => f.includes(recipient.messageId));
      expect(stored).toHaveLength(refused.has(i) ? 0 : 1);
    }
  });

  it('should fail a message cut off after DATA, and never send it again by itself', () => {
    // The server stored it (the one window where it may have arrived); the pool must not re-send
    // it: exactly one copy, and the caller hears `failed` (and logs the window).
    expect(outcomes[120]).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/ECONNECTION/),
    });
    expect(files.filter((f) => f.includes(recipients[120]!.messageId))).toHaveLength(1);
  });

  it('should carry the delivery headers in every stored message, and the address only in To', async () => {
    const byMessageId = new Map<string, (typeof recipients)[number]>(
      recipients.map((r) => [r.messageId, r]),
    );
    for (const file of files) {
      const raw = await readFile(join(outboxDir(dataDir), file));
      const mail = await simpleParser(raw);
      // The raw header lines, unfolded (mailparser merges List-* headers into one object).
      const header = (key: string): string | undefined => {
        const line = mail.headerLines.find((h) => h.key === key)?.line;
        return line
          ?.slice(line.indexOf(':') + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim();
      };
      const messageId = header('x-mailpackr-message')!;
      const recipient = byMessageId.get(messageId)!;
      expect(recipient).toBeDefined();

      expect(mail.messageId).toBe(`<${messageId}@${BOUNCE_DOMAIN}>`);
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(header('feedback-id')).toBe(`${campaignId}:${tenantId}:mailpackr:mp1`);
      expect(header('list-unsubscribe')).toMatch(
        new RegExp(
          `^<https://mail\\.example\\.com/unsubscribe/${messageId}\\.sig>, ` +
            `<mailto:unsubscribe@bounces\\.mailpackr\\.test\\?subject=unsubscribe%20[a-z2-7]{42}>$`,
        ),
      );
      const verp = /^<(.*)>$/.exec(header('return-path')!)![1]!;
      expect(parseVerpAddress(verp, verpKey, BOUNCE_DOMAIN)).toBe(messageId);

      const withAddress = mail.headerLines
        .filter((h) => h.line.toLowerCase().includes(recipient.address))
        .map((h) => h.key);
      expect(withAddress).toEqual(['to']);
      expect(mail.html).toContain(`Message ${messageId}`);
    }
  });

  it('should call an unreachable server failed, not throw', async () => {
    const unreachable = new MailTransport({ url: `smtp://127.0.0.1:1`, connectionTimeoutMs: 2000 });
    const outcome = await unreachable.send({
      from: 'a@acme.example',
      to: 'b@example.org',
      envelopeFrom: 'bounces@acme.example',
      subject: 's',
      html: '<p>x</p>',
      headers: {},
    });
    await unreachable.close();
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
