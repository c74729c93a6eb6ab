import { Controller, Inject, Logger, Post, type RawBodyRequest, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { BillingError, TenantError } from '#domain';
import type { MailpackrRuntime } from '#platform';

import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import {
  type SignedWebhookRefusal,
  admitSignedWebhook,
  answerWebhook,
  failWebhook,
} from '../webhooks/signed-webhook.js';
import { parseBillingEvent } from './billing-events.payload.js';

/** Largest body taken, in bytes: one event is well under 2 KiB. */
export const BILLING_WEBHOOK_MAX_BODY_BYTES = 64 * 1024;

export type BillingWebhookErrorCode =
  | SignedWebhookRefusal
  | 'INVALID_PAYLOAD'
  | 'CARD_DATA_REFUSED'
  | 'TENANT_NOT_FOUND'
  | 'DUPLICATE_EVENT'
  | 'REFUSED'
  | 'TEMPORARY_FAILURE';

/**
 * The billing provider's webhook (issue 6, item 3): one event per call, in a documented,
 * provider-neutral JSON shape (README, "Billing webhook"): `invoice.issued`,
 * `payment_status.changed`, `subscription.plan_changed`. Signed like the delivery-events webhook
 * (`MailPackr-Signature`, HMAC-SHA256 over `<t>.<raw body>`) with its own secret,
 * `MAILPACKR_BILLING_WEBHOOK_SECRET`; a timestamp more than 5 minutes off is refused, and an
 * event id received before is `409 DUPLICATE_EVENT` (replay protection). A body holding card
 * data is refused before anything else is read from it, and is neither stored nor logged. Each
 * call records at most one event; any refusal records nothing. Logs name codes, paths and the
 * tenant id only, never the body.
 */
@Controller('webhooks')
export class BillingEventsController {
  private readonly logger = new Logger('BillingWebhook');

  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('billing-events')
  async receive(@Req() req: RawBodyRequest<Request>, @Res() res: Response): Promise<void> {
    const now = this.clock();
    const admitted = admitSignedWebhook(req, res, {
      name: 'billing webhook',
      secret: this.runtime.config.MAILPACKR_BILLING_WEBHOOK_SECRET,
      secretSetting: 'MAILPACKR_BILLING_WEBHOOK_SECRET',
      maxBytes: BILLING_WEBHOOK_MAX_BODY_BYTES,
      now,
      logger: this.logger,
    });
    if (!admitted) return;
    const payload = parseBillingEvent(req.body);
    if (!payload.ok) {
      // The path names keys only, never a value: nothing of a card number reaches the log.
      this.logger.warn(`Refused a call: ${payload.code} at ${payload.path}`);
      fail(res, payload.code === 'CARD_DATA_REFUSED' ? 422 : 400, payload.code, payload.message, {
        path: payload.path,
      });
      return;
    }
    const { event } = payload;
    try {
      const result = await this.runtime.billing.ingest(event, now);
      const outcome = result.events.length > 0 ? 'recorded' : 'unchanged';
      this.logger.log(`Billing event ${event.type} for tenant ${event.tenantId}: ${outcome}`);
      answerWebhook(res, { result: { id: event.id, outcome } });
    } catch (error) {
      if (error instanceof TenantError && error.code === 'TENANT_NOT_FOUND') {
        this.logger.warn(`Refused a ${event.type} event: unknown tenant`);
        fail(res, 404, 'TENANT_NOT_FOUND', 'No tenant has this id');
        return;
      }
      if (error instanceof BillingError) {
        this.logger.warn(
          `Refused a ${event.type} event for tenant ${event.tenantId}: ${error.code}`,
        );
        if (error.code === 'DUPLICATE_PROVIDER_EVENT' || error.code === 'INVOICE_ALREADY_RECORDED')
          fail(res, 409, 'DUPLICATE_EVENT', error.message, { reason: error.code });
        else fail(res, 400, 'REFUSED', error.message, { reason: error.code });
        return;
      }
      this.logger.error(`Billing event ${event.type} failed: ${(error as Error).name}`);
      fail(
        res,
        503,
        'TEMPORARY_FAILURE',
        'The event could not be recorded now: retry the call later',
        {},
        { 'retry-after': '60' },
      );
    }
  }
}

const fail = (
  res: Response,
  status: number,
  code: BillingWebhookErrorCode,
  message: string,
  extra: { path?: string; reason?: string } = {},
  headers: Record<string, string> = {},
): void => failWebhook(res, status, code, message, extra, headers);
