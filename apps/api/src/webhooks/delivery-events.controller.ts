import { Controller, Inject, Logger, Post, type RawBodyRequest, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import type { FeedbackOutcome, FeedbackResult, MailpackrRuntime } from '#platform';

import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { type DeliveryEvent, parseDeliveryEvents } from './delivery-events.payload.js';
import {
  type SignedWebhookRefusal,
  admitSignedWebhook,
  answerWebhook,
  failWebhook,
} from './signed-webhook.js';

/** Largest body taken, in bytes (1 MiB: 500 events with full diagnostics fit easily). */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

export type WebhookErrorCode = SignedWebhookRefusal | 'INVALID_PAYLOAD' | 'TEMPORARY_FAILURE';

export interface DeliveryEventResult {
  id: string;
  outcome: FeedbackOutcome;
  messageId: string;
}

/**
 * The delivery-events webhook (issue 4, item 5): an email provider posts bounces and complaints
 * about messages we sent, in one documented JSON shape (README, "Delivery-events webhook"). No
 * login and no cookie: the call is authenticated by its `MailPackr-Signature` header, an
 * HMAC-SHA256 with the shared secret `MAILPACKR_WEBHOOK_SECRET` over the timestamp and the raw
 * body bytes; a timestamp more than 5 minutes off is refused, which bounds replays (and a replay
 * inside that window only finds its events `duplicate`: recording is idempotent per message).
 * The whole body is validated before anything is recorded. Events are then handed to
 * `DeliveryFeedback` in order; a failure there (the database is down) answers 503 so that the
 * provider retries the call, and the events recorded before it come back as `duplicate`.
 * Logs name counts, outcomes and message ids only, never addresses or payload text.
 */
@Controller('webhooks')
export class DeliveryEventsController {
  private readonly logger = new Logger('DeliveryEventsWebhook');

  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('delivery-events')
  async receive(@Req() req: RawBodyRequest<Request>, @Res() res: Response): Promise<void> {
    const admitted = admitSignedWebhook(req, res, {
      name: 'delivery-events webhook',
      secret: this.runtime.config.MAILPACKR_WEBHOOK_SECRET,
      secretSetting: 'MAILPACKR_WEBHOOK_SECRET',
      maxBytes: WEBHOOK_MAX_BODY_BYTES,
      tooLargeHint: 'send fewer events per call',
      now: this.clock(),
      logger: this.logger,
    });
    if (!admitted) return;
    const payload = parseDeliveryEvents(req.body);
    if (!payload.ok) {
      this.logger.warn(`Refused a call: invalid payload at ${payload.path}`);
      fail(res, 400, 'INVALID_PAYLOAD', payload.message, { path: payload.path });
      return;
    }
    const results: DeliveryEventResult[] = [];
    try {
      for (const event of payload.events) {
        const result = await this.#record(event);
        results.push({ id: event.id, outcome: result.outcome, messageId: event.messageId });
      }
    } catch (error) {
      // Never the payload in the log; the error names ids only.
      this.logger.error(
        `Delivery events failed after ${results.length} of ${payload.events.length}: ${(error as Error).message}`,
      );
      fail(
        res,
        503,
        'TEMPORARY_FAILURE',
        'The events could not be recorded now: retry the call later',
        {},
        { 'retry-after': '60' },
      );
      return;
    }
    this.logger.log(`${results.length} delivery events: ${summary(results)}`);
    answerWebhook(res, { results });
  }

  #record(event: DeliveryEvent): Promise<FeedbackResult> {
    const now = this.clock();
    if (event.type === 'bounce') {
      return this.runtime.feedback.bounce({
        messageId: event.messageId,
        kind: event.bounce.kind,
        status: event.bounce.status,
        diagnostic: event.bounce.diagnostic,
        source: 'webhook',
        now,
      });
    }
    return this.runtime.feedback.complaint({
      messageId: event.messageId,
      feedbackType: event.complaint.feedbackType,
      source: 'webhook',
      now,
    });
  }
}

/** `recorded 2, duplicate 1, unknown_message 1 (<message id>)`: outcomes counted, ids of the odd ones. */
const summary = (results: readonly DeliveryEventResult[]): string => {
  const byOutcome = new Map<FeedbackOutcome, string[]>();
  for (const { outcome, messageId } of results) {
    byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), messageId]);
  }
  return [...byOutcome]
    .map(([outcome, ids]) =>
      outcome === 'recorded' || outcome === 'duplicate'
        ? `${outcome} ${ids.length}`
        : `${outcome} ${ids.length} (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''})`,
    )
    .join(', ');
};

const fail = (
  res: Response,
  status: number,
  code: WebhookErrorCode,
  message: string,
  extra: { path?: string } = {},
  headers: Record<string, string> = {},
): void => failWebhook(res, status, code, message, extra, headers);
