import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';

import { collectMessageData } from '../delivery/smtp-data.js';
import type { DeliveryFeedback, InboundResult } from './delivery-feedback.js';

export interface InboundMailServerOptions {
  feedback: DeliveryFeedback;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Largest mail taken, in bytes; larger ones get 552 before their data is kept. */
  maxBytes: number;
  /** Recipients per mail (default 20). */
  maxRecipients?: number;
  /** How long `close()` lets clients finish (default 2000 ms). */
  closeTimeoutMs?: number;
  /** Processing errors (the mail got a 451 and will be retried by its sender). */
  onError?: (error: Error) => void;
  /** Each processed mail's results (tests, metrics). */
  onResult?: (result: InboundResult) => void;
}

export class InboundMailError extends Error {
  constructor(
    readonly code: 'LISTEN_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'InboundMailError';
  }
}

const smtpError = (code: number, text: string): Error & { responseCode: number } =>
  Object.assign(new Error(text), { responseCode: code });

/**
 * The inbound SMTP listener for the bounce domain (its MX points here): takes mail only for
 * `bounces+<token>@<domain>` (VERP return paths whose HMAC verifies), `unsubscribe@<domain>`
 * (the List-Unsubscribe mailto) and `feedback@<domain>` (ARF feedback loops); every other
 * recipient is refused at RCPT TO with 550 5.1.1, so it is never an open relay. Each mail is
 * handed to `DeliveryFeedback` after DATA; a mail it cannot read is still accepted (250), so the
 * reporting server does not bounce the bounce, and the outcome is logged by count. A failure
 * while recording (the database down) answers 451: the sender retries later, nothing is lost.
 */
export class InboundMailServer {
  readonly #server: SMTPServer;
  #port = 0;
  #closed = false;

  private constructor(private readonly options: InboundMailServerOptions) {
    this.#server = new SMTPServer({
      name: 'mailpackr-inbound',
      banner: 'MailPackr inbound',
      size: options.maxBytes,
      rejectOversized: true,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      maxClients: 100,
      socketTimeout: 60_000,
      closeTimeout: options.closeTimeoutMs ?? 2000,
      logger: false,
      onRcptTo: (address, session, callback) => this.#onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.#onData(stream, session, callback),
    });
    this.#server.on('error', (error: Error) => options.onError?.(error));
  }

  static async start(options: InboundMailServerOptions): Promise<InboundMailServer> {
    const server = new InboundMailServer(options);
    await server.#listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return server;
  }

  get port(): number {
    return this.#port;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new InboundMailError(
            'LISTEN_FAILED',
            `The inbound SMTP listener cannot listen on ${host}:${port} (${error.message}). ` +
              'Free the port or choose another with MAILPACKR_INBOUND_SMTP_PORT, or unset it to turn the listener off.',
          ),
        );
      this.#server.server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.server.off('error', onError);
        const address = this.#server.server.address();
        this.#port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  #onRcptTo(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    if (session.envelope.rcptTo.length >= (this.options.maxRecipients ?? 20)) {
      callback(smtpError(452, '4.5.3 Too many recipients'));
      return;
    }
    if (!this.options.feedback.mailboxOf(address.address)) {
      callback(smtpError(550, '5.1.1 No such mailbox here'));
      return;
    }
    callback();
  }

  #onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    collectMessageData(stream, callback, (raw) => {
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      this.options.feedback.receive(raw, recipients, new Date()).then(
        (result) => {
          this.options.onResult?.(result);
          callback(null, '2.0.0 Ok: processed');
        },
        (error: unknown) => {
          this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
          callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        },
      );
    });
  }
}
