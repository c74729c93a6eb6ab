import nodemailer, { type SMTPPoolOptions, type Transporter } from 'nodemailer';

import { quotedPrintablePart } from './quoted-printable.js';
import {
  type SendOutcome,
  classifySendError,
  classifySmtpReply,
  replyCodeOf,
} from './send-outcome.js';

/** One rendered message to one recipient. */
export interface OutgoingMessage {
  /** The `From` header (`"Acme" <news@acme.example>`). */
  from: string;
  /** The recipient: the `To` header and the only RCPT TO. */
  to: string;
  /** MAIL FROM: the VERP return path from `buildMessageHeaders`. */
  envelopeFrom: string;
  subject: string;
  html: string;
  text?: string;
  replyTo?: string;
  /** Extra headers, `buildMessageHeaders(...).headers` (its `Message-ID` becomes the message's). */
  headers: Record<string, string>;
}

export interface MailTransportOptions {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://…` (TLS from the start). */
  url: string;
  /** Pooled connections kept open to the server (default 5). */
  maxConnections?: number;
  /** Messages per connection before it is replaced (default 100). */
  maxMessages?: number;
  /** Connecting, waiting for the greeting, and silence mid-transaction (defaults 30 s, 30 s, 60 s). */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Host name for EHLO (default: nodemailer's, the machine's name). */
  name?: string;
}

export class MailTransportError extends Error {
  constructor(
    readonly code: 'INVALID_SMTP_URL' | 'TRANSPORT_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'MailTransportError';
  }
}

export const DEFAULT_SMTP_MAX_CONNECTIONS = 5;
export const DEFAULT_SMTP_MAX_MESSAGES = 100;
/** How often the pool may move a message none of which was sent to another connection. */
const MAX_REQUEUES_OF_UNSENT = 3;

/** The nodemailer pool options for an `smtp://` or `smtps://` URL; throws on anything else. */
export const smtpPoolOptions = (
  options: MailTransportOptions,
): SMTPPoolOptions & { pool: true } => {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new MailTransportError('INVALID_SMTP_URL', 'SMTP_URL is not a URL');
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new MailTransportError(
      'INVALID_SMTP_URL',
      'SMTP_URL must be smtp://host or smtps://host',
    );
  }
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  return {
    pool: true,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: decodeURIComponent(url.password) } } : {}),
    maxConnections: options.maxConnections ?? DEFAULT_SMTP_MAX_CONNECTIONS,
    maxMessages: options.maxMessages ?? DEFAULT_SMTP_MAX_MESSAGES,
    // nodemailer re-queues a message only when its connection closed before a byte of the message
    // was read (a reused connection the server had dropped, or a 421 to MAIL FROM / RCPT TO):
    // that is safe, it cannot have arrived. A message cut off once DATA began fails instead
    // (`failed`) and is never sent again behind the caller's back; the int spec checks both.
    maxRequeues: MAX_REQUEUES_OF_UNSENT,
    connectionTimeout: options.connectionTimeoutMs ?? 30_000,
    greetingTimeout: options.greetingTimeoutMs ?? 30_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    ...(options.name ? { name: options.name } : {}),
    logger: false,
  };
};

/**
 * The HTML and text parts, quoted-printable encoded here in one pass (`encodeQuotedPrintable`) and
 * streamed by nodemailer as given. Only as the two parts of a multipart/alternative: a raw part
 * that is the whole message (HTML alone) would replace its headers, so that goes the usual way.
 */
const bodyParts = (message: OutgoingMessage) =>
  message.text === undefined
    ? { html: message.html }
    : {
        html: { raw: quotedPrintablePart('text/html', message.html) },
        text: { raw: quotedPrintablePart('text/plain', message.text) },
      };

/**
 * Sends one message at a time over a pool of SMTP connections (nodemailer, `pool: true`) and
 * says what became of it as a `SendOutcome`; it never throws for a refused or failed send. Many
 * `send` calls may run at once: the pool runs up to `maxConnections` transactions in parallel and
 * queues the rest.
 */
export class MailTransport {
  readonly #transporter: Transporter;
  readonly #pending = new Set<Promise<SendOutcome>>();
  /** Message-ID → the 421 (or other 4xx) that closed a connection before the message went out. */
  readonly #closedBeforeSending = new Map<string, string>();
  #closed = false;

  constructor(options: MailTransportOptions) {
    this.#transporter = nodemailer.createTransport(
      { ...smtpPoolOptions(options), logger: this.#poolLogger() },
      { disableFileAccess: true, disableUrlAccess: true },
    );
  }

  /** Sends one message; never throws for SMTP or network trouble (see `SendOutcome`). */
  send(message: OutgoingMessage): Promise<SendOutcome> {
    if (this.#closed) {
      return Promise.resolve({ kind: 'failed', reason: 'TRANSPORT_CLOSED: transport is closed' });
    }
    const sending = this.#send(message);
    this.#pending.add(sending);
    void sending.finally(() => this.#pending.delete(sending));
    return sending;
  }

  /** Connects and greets the server once (start-up check); throws with the reason. */
  async verify(): Promise<void> {
    await this.#transporter.verify();
  }

  /** Messages handed to `send` whose outcome is not known yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Waits for the sends under way, then closes every pooled connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    this.#transporter.close();
  }

  async #send(message: OutgoingMessage): Promise<SendOutcome> {
    const headers: Record<string, string> = {};
    let messageId: string | undefined;
    for (const [name, value] of Object.entries(message.headers)) {
      if (name.toLowerCase() === 'message-id') messageId = value;
      else headers[name] = value;
    }
    try {
      const info = (await this.#transporter.sendMail({
        from: message.from,
        to: message.to,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        subject: message.subject,
        ...bodyParts(message),
        headers,
        ...(messageId ? { messageId } : {}),
        envelope: { from: message.envelopeFrom, to: [message.to] },
      })) as { response?: unknown };
      const reply = typeof info.response === 'string' ? info.response : '250 OK';
      return classifySmtpReply(replyCodeOf(reply) ?? 250, reply);
    } catch (error) {
      // A 421 on a reused connection before the message was sent makes the pool move the message
      // to another connection and report only "closed" if it runs out of tries: use the reply.
      const reply = messageId ? this.#closedBeforeSending.get(bare(messageId)) : undefined;
      const code = reply === undefined ? undefined : replyCodeOf(reply);
      if (code !== undefined && (error as { code?: unknown }).code === 'ECONNECTION') {
        return classifySmtpReply(code, reply!);
      }
      return classifySendError(error);
    } finally {
      if (messageId) this.#closedBeforeSending.delete(bare(messageId));
    }
  }

  /**
   * nodemailer's pool tells why it moved an unsent message to another connection only in its log
   * (`tnx: 'pool'`, with the Message-ID and the error text that ends in the server's reply).
   * This logger keeps that reply per message while the message is in flight; all else is dropped.
   */
  #poolLogger() {
    const ignore = () => undefined;
    return {
      trace: ignore,
      debug: ignore,
      warn: ignore,
      error: ignore,
      fatal: ignore,
      info: (entry: { tnx?: unknown; messageId?: unknown } | undefined, ...args: unknown[]) => {
        if (entry?.tnx !== 'pool' || typeof entry.messageId !== 'string') return;
        const text = args.at(-1);
        const reply = typeof text === 'string' ? /:\s(4\d\d[ -][^\r\n]*)$/.exec(text) : null;
        if (!reply?.[1]) return;
        // Entries go when their send ends; a message without our Message-ID never asks, so bound it.
        if (this.#closedBeforeSending.size >= 10_000) this.#closedBeforeSending.clear();
        this.#closedBeforeSending.set(bare(entry.messageId), reply[1]);
      },
    };
  }
}

const bare = (messageId: string): string => messageId.trim().replace(/^<|>$/g, '');
