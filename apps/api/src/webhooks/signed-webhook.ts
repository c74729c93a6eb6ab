import type { Logger, RawBodyRequest } from '@nestjs/common';
import type { Request, Response } from 'express';

import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhookSignature,
} from './webhook-signature.js';

/** What every signed webhook refuses before it reads the body. */
export type SignedWebhookRefusal =
  | 'WEBHOOK_DISABLED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_SIGNATURE'
  | 'STALE_SIGNATURE';

const NO_STORE = { 'cache-control': 'no-store' };

/** An error answer of a webhook: `{"error": {"code", "message", …extra}}`, never cached. */
export const failWebhook = (
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): void => {
  res
    .status(status)
    .set({ ...NO_STORE, ...headers })
    .json({ error: { code, message, ...extra } });
};

/** A success answer of a webhook, never cached. */
export const answerWebhook = (res: Response, body: unknown): void => {
  res.status(200).set(NO_STORE).json(body);
};

const isJson = (contentType: string | undefined): boolean =>
  contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';

/**
 * The checks every signed webhook makes, in order, before it reads a byte of the body as data:
 * switched on (its secret set), JSON, not too large, and signed with the secret
 * (`MailPackr-Signature`, at most `WEBHOOK_TOLERANCE_SECONDS` off). A refusal is answered here
 * and logged without the body; `false` means the call ends there.
 */
export const admitSignedWebhook = (
  req: RawBodyRequest<Request>,
  res: Response,
  webhook: {
    /** Its name in messages: "The <name> is off". */
    name: string;
    secret: string | undefined;
    /** The setting that holds the secret, named when the webhook is off. */
    secretSetting: string;
    maxBytes: number;
    /** Added to the too-large message, e.g. what to do instead. */
    tooLargeHint?: string;
    now: Date;
    logger: Logger;
  },
): boolean => {
  if (!webhook.secret) {
    failWebhook(
      res,
      404,
      'WEBHOOK_DISABLED',
      `The ${webhook.name} is off (set ${webhook.secretSetting})`,
    );
    return false;
  }
  if (!isJson(req.headers['content-type'])) {
    failWebhook(
      res,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as Content-Type: application/json',
    );
    return false;
  }
  const rawBody = req.rawBody ?? Buffer.alloc(0);
  if (rawBody.length > webhook.maxBytes) {
    failWebhook(
      res,
      413,
      'PAYLOAD_TOO_LARGE',
      `The body is over ${webhook.maxBytes} bytes${webhook.tooLargeHint ? `: ${webhook.tooLargeHint}` : ''}`,
    );
    return false;
  }
  const signature = verifyWebhookSignature({
    header: req.headers[WEBHOOK_SIGNATURE_HEADER],
    secret: webhook.secret,
    rawBody,
    now: webhook.now,
  });
  if (signature.ok) return true;
  webhook.logger.warn(`Refused a call: signature ${signature.reason}`);
  if (signature.reason === 'stale')
    failWebhook(
      res,
      401,
      'STALE_SIGNATURE',
      `The signature timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} seconds from our clock`,
    );
  else
    failWebhook(
      res,
      401,
      'INVALID_SIGNATURE',
      `The MailPackr-Signature header is ${signature.reason === 'missing' ? 'missing' : 'not a valid signature of this body'}`,
    );
  return false;
};
