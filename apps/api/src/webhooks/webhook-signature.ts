import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header that carries the signature of a delivery-events webhook call. */
export const WEBHOOK_SIGNATURE_HEADER = 'mailpackr-signature';

/** How far the signed timestamp may be from our clock, either way (replays and clock skew). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Signatures read from one header at most (one per secret during a rotation). */
const MAX_SIGNATURES = 10;

const TIMESTAMP = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

/**
 * The `v1` signature of a webhook call: hex HMAC-SHA256, keyed with the shared secret (its UTF-8
 * bytes), over `<timestamp>.` followed by the raw body bytes exactly as sent.
 */
export const signWebhookPayload = (
  secret: string,
  timestamp: number,
  rawBody: Buffer | string,
): string => createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');

/** The whole `MailPackr-Signature` header value a sender puts on a call made at `now`. */
export const webhookSignatureHeader = (
  secret: string,
  rawBody: Buffer | string,
  now: Date,
): string => {
  const timestamp = Math.floor(now.getTime() / 1000);
  return `t=${timestamp},v1=${signWebhookPayload(secret, timestamp, rawBody)}`;
};

/**
 * Checks a `MailPackr-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header against the raw
 * body. Several `v1` are allowed (a sender signing with the old and the new secret while it
 * rotates); one matching is enough. Other schemes (`v0=`…) are ignored. Comparisons are
 * constant-time. An authentic signature whose timestamp is more than `toleranceSeconds` away from
 * `now` (either way) is `stale`: a replayed call, or a sender whose clock is wrong.
 */
export const verifyWebhookSignature = (input: {
  header: string | readonly string[] | undefined;
  secret: string;
  rawBody: Buffer;
  now: Date;
  toleranceSeconds?: number;
}): SignatureCheck => {
  const { header, secret, rawBody, now } = input;
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (header === undefined || header.length === 0) return { ok: false, reason: 'missing' };
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signWebhookPayload(secret, parsed.timestamp, rawBody), 'hex');
  let matched = false;
  for (const signature of parsed.signatures) {
    // Every candidate is compared (no early exit), each in constant time.
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) matched = true;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  if (Math.abs(Math.floor(now.getTime() / 1000) - parsed.timestamp) > tolerance) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true, timestamp: parsed.timestamp };
};

/** `t` and the `v1` values of a header, or undefined when it is not of that shape. */
export const parseSignatureHeader = (
  header: string,
): { timestamp: number; signatures: string[] } | undefined => {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value) || signatures.length === MAX_SIGNATURES) return undefined;
      signatures.push(value.toLowerCase());
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
};
