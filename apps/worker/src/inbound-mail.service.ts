import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { InboundMailServer, type MailpackrRuntime, redactEmails } from '#platform';

import { WORKER_RUNTIME } from './worker.tokens.js';

/**
 * The inbound SMTP listener for the bounce domain (DSNs, ARF complaints, mailto unsubscribes),
 * when `MAILPACKR_INBOUND_SMTP_PORT` is set. A taken port stops the process with a clear error.
 * Logs counts and message ids only.
 */
@Injectable()
export class InboundMailService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InboundMail');
  private server?: InboundMailServer;

  constructor(@Inject(WORKER_RUNTIME) private readonly runtime: MailpackrRuntime) {}

  /** The port it listens on, once started (undefined when the listener is off). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config } = this.runtime;
    if (config.MAILPACKR_INBOUND_SMTP_PORT === undefined) return;
    this.server = await InboundMailServer.start({
      feedback: this.runtime.feedback,
      host: config.MAILPACKR_INBOUND_SMTP_HOST,
      port: config.MAILPACKR_INBOUND_SMTP_PORT,
      maxBytes: config.MAILPACKR_INBOUND_MAX_MB * 1024 * 1024,
      onError: (error) =>
        this.logger.error(
          `Inbound mail not processed (answered 451): ${redactEmails(error.message)}`,
        ),
    });
    this.logger.log(
      `Listening for bounces, complaints and unsubscribes to @${config.MAILPACKR_BOUNCE_DOMAIN} on ` +
        `${config.MAILPACKR_INBOUND_SMTP_HOST}:${this.server.port}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
