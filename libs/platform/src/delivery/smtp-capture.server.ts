import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';

import { collectMessageData } from './smtp-data.js';

/** A reply the capture server gives instead of accepting, e.g. `{ code: 550, enhanced: '5.1.1' }`. */
export interface ScriptedReply {
  code: number;
  /** RFC 3463 status written after the code (`4.2.0`). */
  enhanced?: string;
  text?: string;
  /** Give this reply to the first `times` attempts for the address only, then accept. Default: always. */
  times?: number;
}

/** After DATA: store the message, then cut the connection without a reply. */
export interface DropAfterData {
  drop: true;
  /** Drop the first `times` attempts for the address only, then accept. Default: always. */
  times?: number;
}

/** After DATA: store the message, then wait `delayMs` before the `250` reply. */
export interface DelayAfterData {
  delayMs: number;
  /** Delay the first `times` attempts for the address only, then reply at once. Default: always. */
  times?: number;
}

type DataScript = ScriptedReply | DropAfterData | DelayAfterData;

/**
 * What the server does for one recipient address: a reply at RCPT TO, a reply after DATA,
 * `drop` after DATA (the message is stored, then the connection is cut before the reply: the
 * one window where a sender cannot know whether the message arrived), or `delayMs` after DATA
 * (the message is stored, then the reply waits: a slow server, or, past the client's socket
 * timeout, the same window as a drop).
 */
export interface RecipientScript {
  rcpt?: ScriptedReply;
  data?: DataScript;
}

export interface SmtpCaptureServerOptions {
  /** Folder for the `.eml` files (created, mode 0700): `outboxDir(config.dataDir)` by default use. */
  dir: string;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to listen on (default 127.0.0.1); anything else is refused. */
  host?: string;
  /** Largest message taken, in bytes (default 25 MiB); larger ones get 552. */
  maxMessageBytes?: number;
  /** Scripted replies by recipient address (case-insensitive). */
  script?: Record<string, RecipientScript>;
  /** Write `.eml` files (default true); false only counts (benchmarks of the network path). */
  store?: boolean;
  /** How long `close()` lets connected clients finish before cutting them (default 2000 ms). */
  closeTimeoutMs?: number;
  /** Connection-level errors (a client resetting its socket); default: ignored. */
  onError?: (error: Error) => void;
}

/** What was stored for one accepted message. */
export interface CapturedMessage {
  file: string | null;
  messageId: string | null;
  mailFrom: string;
  rcptTo: string[];
  bytes: number;
}

export class SmtpCaptureError extends Error {
  constructor(
    readonly code: 'NOT_LOOPBACK' | 'LISTEN_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'SmtpCaptureError';
  }
}

export const DEFAULT_CAPTURE_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** Where the embedded server keeps received mail: `<data dir>/outbox`. */
export const outboxDir = (dataDir: string): string => join(dataDir, 'outbox');

const isLoopback = (host: string): boolean =>
  host === 'localhost' ||
  host === '::1' ||
  (isIP(host) === 4 && host.startsWith('127.')) ||
  host === '::ffff:127.0.0.1';

/** `20261129T101500123Z`: sorts by time, safe in any file system. */
const stamp = (date: Date): string => date.toISOString().replace(/[-:.]/g, '');

/** The file-name-safe form of a Message-ID (`<a.b@c>` → `a.b@c`), at most 150 characters. */
const safeName = (messageId: string): string =>
  messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._@+-]/g, '_')
    .slice(0, 150);

/** The Message-ID header of a raw message (folded lines joined), or null. */
export const messageIdOf = (raw: Buffer): string | null => {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? Math.min(raw.length, 64 * 1024) : end).toString('latin1');
  const match = /^message-id:[ \t]*((?:.*)(?:\r\n[ \t].*)*)/im.exec(head);
  const value = match?.[1]?.replace(/\r\n[ \t]+/g, ' ').trim();
  return value ? value : null;
};

const replyError = (reply: ScriptedReply): Error & { responseCode: number } => {
  const text = [reply.enhanced, reply.text ?? 'Scripted reply'].filter(Boolean).join(' ');
  return Object.assign(new Error(text), { responseCode: reply.code });
};

/**
 * The embedded SMTP server: listens on a loopback port, accepts any mail (no auth, no TLS: it
 * never leaves the machine) and stores each message as `<timestamp>-<Message-ID>.eml` (mode 0600)
 * with a `Return-Path` line for the envelope sender in front, as a delivering MTA writes it. With
 * `npm start` it is where mail goes when `SMTP_URL` is unset. Tests use it as a real SMTP peer:
 * a script per recipient answers RCPT TO or DATA with chosen replies (deferrals, bounces,
 * 421 closes), drops the connection after DATA, or delays the reply to DATA.
 *
 * Replies are written verbatim (`450 4.2.0 Mailbox busy`): the server's automatic enhanced status
 * codes are off, and a scripted reply brings its own.
 */
export class SmtpCaptureServer {
  readonly #server: SMTPServer;
  readonly #script = new Map<string, RecipientScript>();
  readonly #attempts = new Map<string, number>();
  readonly #messages: CapturedMessage[] = [];
  #port = 0;
  #host: string;
  #closed = false;
  #sequence = 0;

  private constructor(private readonly options: SmtpCaptureServerOptions) {
    this.#host = options.host ?? '127.0.0.1';
    if (!isLoopback(this.#host)) {
      throw new SmtpCaptureError(
        'NOT_LOOPBACK',
        `the capture server only listens on loopback, not ${this.#host}`,
      );
    }
    for (const [address, script] of Object.entries(options.script ?? {})) {
      this.setScript(address, script);
    }
    const size = options.maxMessageBytes ?? DEFAULT_CAPTURE_MAX_MESSAGE_BYTES;
    this.#server = new SMTPServer({
      name: 'mailpackr-capture.localhost',
      banner: 'MailPackr capture server',
      size,
      rejectOversized: true,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideENHANCEDSTATUSCODES: true,
      disableReverseLookup: true,
      closeTimeout: options.closeTimeoutMs ?? 2000,
      logger: false,
      onRcptTo: (address, session, callback) => this.#onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.#onData(stream, session, callback),
    });
    this.#server.on('error', (error: Error) => options.onError?.(error));
  }

  /** Creates the folder and starts listening; resolves once the port is bound. */
  static async start(options: SmtpCaptureServerOptions): Promise<SmtpCaptureServer> {
    const server = new SmtpCaptureServer(options);
    if (options.store !== false) await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await server.#listen(options.port ?? 0);
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.#host;
  }

  /** `smtp://127.0.0.1:<port>`, for `MailTransport`. */
  get url(): string {
    return `smtp://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }

  /** Messages accepted so far, oldest first. */
  get messages(): readonly CapturedMessage[] {
    return this.#messages;
  }

  /** Sets (or, with undefined, clears) the script of one recipient address. */
  setScript(address: string, script: RecipientScript | undefined): void {
    const key = address.toLowerCase();
    this.#attempts.delete(key);
    if (script) this.#script.set(key, script);
    else this.#script.delete(key);
  }

  /** Stops listening, lets connected clients finish for `closeTimeoutMs`, then cuts them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          new SmtpCaptureError(
            'LISTEN_FAILED',
            `capture server cannot listen on ${this.#host}:${port}: ${error.message}`,
          ),
        );
      };
      this.#server.server.once('error', onError);
      this.#server.listen(port, this.#host, () => {
        this.#server.server.off('error', onError);
        const address = this.#server.server.address();
        this.#port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  /** The scripted reply for this stage and recipient, counting attempts for `times`. */
  #scripted(address: string, stage: 'rcpt' | 'data'): DataScript | undefined {
    const key = address.toLowerCase();
    const reply = this.#script.get(key)?.[stage];
    if (!reply) return undefined;
    const attempt = (this.#attempts.get(`${stage}:${key}`) ?? 0) + 1;
    this.#attempts.set(`${stage}:${key}`, attempt);
    return reply.times === undefined || attempt <= reply.times ? reply : undefined;
  }

  #onRcptTo(
    address: SMTPServerAddress,
    _session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    const reply = this.#scripted(address.address, 'rcpt');
    if (reply && 'code' in reply) callback(replyError(reply));
    else callback();
  }

  #onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    collectMessageData(stream, callback, (raw) => {
      const rcptTo = session.envelope.rcptTo.map((r) => r.address);
      let reply: DataScript | undefined;
      for (const address of rcptTo) reply ??= this.#scripted(address, 'data');
      if (reply && 'code' in reply) {
        callback(replyError(reply));
        return;
      }
      const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      this.#store(raw, mailFrom, rcptTo).then(
        (file) => {
          if (reply && 'drop' in reply) {
            this.#drop(session);
            callback(null, 'dropped'); // nothing is written to a destroyed socket
            return;
          }
          const accepted = `2.0.0 Ok: queued as ${file ?? 'memory'}`;
          if (reply && 'delayMs' in reply) {
            // A client that gave up meanwhile is gone: nothing is written to a closed socket.
            setTimeout(() => callback(null, accepted), reply.delayMs).unref();
            return;
          }
          callback(null, accepted);
        },
        (error: unknown) => {
          this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
          callback(replyError({ code: 451, enhanced: '4.3.0', text: 'Local error in processing' }));
        },
      );
    });
  }

  async #store(raw: Buffer, mailFrom: string, rcptTo: string[]): Promise<string | null> {
    const messageId = messageIdOf(raw);
    const record: CapturedMessage = { file: null, messageId, mailFrom, rcptTo, bytes: raw.length };
    if (this.options.store !== false) {
      const base = `${stamp(new Date())}-${messageId ? safeName(messageId) : `no-id-${process.pid}`}`;
      const content = Buffer.concat([Buffer.from(`Return-Path: <${mailFrom}>\r\n`), raw]);
      for (let n = 0; ; n++) {
        const name = n === 0 && messageId ? `${base}.eml` : `${base}-${++this.#sequence}.eml`;
        try {
          await writeFile(join(this.options.dir, name), content, { mode: 0o600, flag: 'wx' });
          record.file = name;
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
        }
      }
    }
    this.#messages.push(record);
    return record.file;
  }

  /** Cuts the client's connection without a reply (the message is already stored). */
  #drop(session: SMTPServerSession): void {
    for (const connection of this.#server.connections) {
      if (connection.id === session.id) {
        connection._socket.destroy();
      }
    }
  }
}
