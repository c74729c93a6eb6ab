import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { MailTransport, type OutgoingMessage } from './mail-transport.js';
import { buildMessageHeaders } from './message-headers.js';
import { SmtpCaptureError, SmtpCaptureServer, outboxDir } from './smtp-capture.server.js';

const aMessage = (to: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => {
  const built = buildMessageHeaders(
    {
      tenantId: randomUUID(),
      campaignId: randomUUID(),
      messageId: randomUUID(),
      recipientId: randomUUID(),
    },
    {
      unsubscribeUrl: 'https://mail.example.com/unsubscribe/t0k3n.mac',
      unsubscribeMailto: 'unsubscribe@bounces.example.com',
      bounceDomain: 'bounces.example.com',
      verpKey: randomBytes(32),
      feedbackSenderId: 'mp1',
    },
  );
  return {
    from: '"Acme" <news@acme.example>',
    to,
    envelopeFrom: built.envelopeFrom,
    subject: 'Hello',
    html: '<p>Hello</p>',
    headers: built.headers,
    ...overrides,
  };
};

describe('SmtpCaptureServer', () => {
  let dataDir: string;
  let server: SmtpCaptureServer | undefined;
  let transport: MailTransport | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mp-capture-'));
  });

  afterEach(async () => {
    await transport?.close();
    await server?.close();
    transport = undefined;
    server = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (options: Partial<Parameters<typeof SmtpCaptureServer.start>[0]> = {}) => {
    server = await SmtpCaptureServer.start({ dir: outboxDir(dataDir), ...options });
    transport = new MailTransport({ url: server.url, maxConnections: 2 });
    return { server, transport };
  };

  describe('When a message arrives', () => {
    it('should store it as <timestamp>-<Message-ID>.eml, mode 0600, with its Return-Path', async () => {
      const { server, transport } = await start();
      const message = aMessage('ada@example.org');

      const outcome = await transport.send(message);

      expect(outcome).toMatchObject({ kind: 'sent' });
      expect(outcome.kind === 'sent' && outcome.reply).toMatch(/^250 2\.0\.0 Ok: queued as /);
      const files = await readdir(outboxDir(dataDir));
      const id = message.headers['Message-ID']!.slice(1, -1);
      expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d{8}T\\d{9}Z-${id}\\.eml$`))]);
      const file = join(outboxDir(dataDir), files[0]!);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(outboxDir(dataDir))).mode & 0o777).toBe(0o700);
      const eml = await readFile(file, 'utf8');
      expect(eml.startsWith(`Return-Path: <${message.envelopeFrom}>\r\n`)).toBe(true);
      expect(eml).toContain('To: ada@example.org');
      expect(server.messages).toEqual([
        expect.objectContaining({
          file: files[0],
          messageId: message.headers['Message-ID'],
          mailFrom: message.envelopeFrom,
          rcptTo: ['ada@example.org'],
        }),
      ]);
    });

    it('should refuse a message over the size limit with 552 and store nothing', async () => {
      const { server, transport } = await start({ maxMessageBytes: 10_000 });

      const outcome = await transport.send(
        aMessage('big@example.org', { html: `<p>${'x'.repeat(20_000)}</p>` }),
      );

      expect(outcome).toMatchObject({ kind: 'bounced', code: 552 });
      expect(server.messages).toEqual([]);
      expect(await readdir(outboxDir(dataDir))).toEqual([]);
    });
  });

  describe('When a recipient is scripted', () => {
    it('should answer RCPT TO as scripted, for the first attempts only', async () => {
      const { transport } = await start({
        script: { 'slow@example.org': { rcpt: { code: 450, enhanced: '4.2.0', times: 2 } } },
      });

      const outcomes = [];
      for (let i = 0; i < 3; i++) outcomes.push(await transport.send(aMessage('SLOW@example.org')));

      expect(outcomes.map((o) => o.kind)).toEqual(['deferred', 'deferred', 'sent']);
      expect(outcomes[0]).toMatchObject({ code: 450, enhanced: '4.2.0', throttle: false });
    });

    it('should answer after DATA as scripted, and store nothing it refused', async () => {
      const { server, transport } = await start({
        script: { 'spam@example.org': { data: { code: 554, enhanced: '5.7.1', text: 'Blocked' } } },
      });

      const outcome = await transport.send(aMessage('spam@example.org'));

      expect(outcome).toEqual({
        kind: 'bounced',
        reply: '554 5.7.1 Blocked',
        code: 554,
        enhanced: '5.7.1',
        policy: true,
      });
      expect(server.messages).toEqual([]);
    });

    it('should close the connection after a 421, and the pool should go on', async () => {
      const { transport } = await start({
        script: {
          'busy@example.org': { rcpt: { code: 421, enhanced: '4.7.0', text: 'Slow down' } },
        },
      });

      const throttled = await transport.send(aMessage('busy@example.org'));
      const next = await transport.send(aMessage('ok@example.org'));

      expect(throttled).toMatchObject({ kind: 'deferred', code: 421, throttle: true });
      expect(next).toMatchObject({ kind: 'sent' });
    });

    it('should cut the connection after storing a dropped message: the duplicate window', async () => {
      const { server, transport } = await start({
        script: { 'lost@example.org': { data: { drop: true, times: 1 } } },
      });

      const dropped = await transport.send(aMessage('lost@example.org'));
      const retried = await transport.send(aMessage('lost@example.org'));

      expect(dropped).toMatchObject({ kind: 'failed' });
      expect(retried).toMatchObject({ kind: 'sent' });
      expect(server.messages.map((m) => m.rcptTo)).toEqual([
        ['lost@example.org'],
        ['lost@example.org'],
      ]);
    });
  });

  describe('When it is started or stopped', () => {
    it('should only listen on loopback', async () => {
      await expect(SmtpCaptureServer.start({ dir: dataDir, host: '0.0.0.0' })).rejects.toThrow(
        SmtpCaptureError,
      );
    });

    it('should say so when the port is taken', async () => {
      const { server } = await start();
      await expect(SmtpCaptureServer.start({ dir: dataDir, port: server.port })).rejects.toThrow(
        expect.objectContaining({ code: 'LISTEN_FAILED' }),
      );
    });

    it('should shut down cleanly with pooled connections open, and refuse mail after', async () => {
      const { server, transport } = await start({ closeTimeoutMs: 200 });
      expect((await transport.send(aMessage('a@example.org'))).kind).toBe('sent');

      await server.close();
      const after = new MailTransport({ url: server.url });
      const outcome = await after.send(aMessage('b@example.org'));
      await after.close();

      expect(outcome).toMatchObject({ kind: 'failed' });
      expect(outcome.kind === 'failed' && outcome.reason).toMatch(/ECONNREFUSED/);
    });
  });
});
