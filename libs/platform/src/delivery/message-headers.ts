import { createHmac, timingSafeEqual } from 'node:crypto';

/** What identifies one message of one campaign to one recipient: ids only. */
export interface MessageIds {
  tenantId: string;
  campaignId: string;
  /** A UUID (the message stream's id). */
  messageId: string;
  /** Not written into any header: the message id leads to it. */
  recipientId: string;
}

export interface MessageHeaderOptions {
  /** The one-click unsubscribe URL (https), e.g. from `Audience.unsubscribeLinks.url(...)`. */
  unsubscribeUrl: string;
  /** Mailbox that takes unsubscribe requests by mail (`unsubscribe@bounces.example`). */
  unsubscribeMailto: string;
  /** Domain of the VERP return path: its MX is our inbound bounce listener. */
  bounceDomain: string;
  /** Key of the VERP token's HMAC (derived from the KEK for this purpose only). */
  verpKey: Buffer;
  /** Gmail Feedback-ID sender id: a stable id of the sending platform or IP pool. */
  feedbackSenderId: string;
  /** Right-hand side of our Message-ID; default: the bounce domain. */
  messageIdDomain?: string;
}

export interface BuiltMessageHeaders {
  /** `<messageId@domain>`, for the `Message-ID` header (also in `headers`). */
  messageIdHeader: string;
  /** The envelope sender (MAIL FROM): `bounces+<token>@<bounce domain>`; the receiving MTA turns it into Return-Path. */
  envelopeFrom: string;
  /** Header name → value, ready for nodemailer's `headers` (Message-ID included). */
  headers: Record<string, string>;
}

export class MessageHeaderError extends Error {
  constructor(
    readonly code: 'INVALID_MESSAGE_ID' | 'INVALID_HEADER_VALUE',
    message: string,
  ) {
    super(message);
    this.name = 'MessageHeaderError';
  }
}

/** Local part prefix of every VERP return path. */
export const VERP_PREFIX = 'bounces+';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC_BYTES = 10;
const TOKEN_BYTES = 16 + MAC_BYTES;
/** RFC 4648 base32, lower case, no padding: local parts are often case-folded on the way back. */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_CHARS = Math.ceil((TOKEN_BYTES * 8) / 5);
const TOKEN_PATTERN = new RegExp(`^[a-z2-7]{${TOKEN_CHARS}}$`);
/** Ids and domains go into headers verbatim: nothing that could break or extend a header. */
const SAFE_ATOM = /^[A-Za-z0-9._-]+$/;
const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const MAILBOX = /^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$/;

const base32 = (bytes: Buffer): string => {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]!;
  return out;
};

const fromBase32 = (text: string): Buffer => {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
};

const uuidBytes = (messageId: string): Buffer => {
  if (!UUID.test(messageId)) {
    throw new MessageHeaderError('INVALID_MESSAGE_ID', `message id must be a UUID: ${messageId}`);
  }
  return Buffer.from(messageId.replace(/-/g, ''), 'hex');
};

const uuidOf = (bytes: Buffer): string => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

const mac = (key: Buffer, id: Buffer): Buffer =>
  createHmac('sha256', key).update('mailpackr-verp-v1').update(id).digest().subarray(0, MAC_BYTES);

/**
 * The opaque VERP token of a message: base32 of the message UUID's 16 bytes and an 80-bit
 * HMAC-SHA256 over them, 42 characters. No personal data: a bounce to it names the message, and a
 * forged or altered token does not verify.
 */
export const verpToken = (messageId: string, key: Buffer): string => {
  const id = uuidBytes(messageId);
  return base32(Buffer.concat([id, mac(key, id)]));
};

/** `bounces+<token>@<bounce domain>` for a message. */
export const verpAddress = (messageId: string, key: Buffer, bounceDomain: string): string =>
  `${VERP_PREFIX}${verpToken(messageId, key)}@${bounceDomain.toLowerCase()}`;

/** The message id of an intact token; undefined for anything else. */
export const parseVerpToken = (token: unknown, key: Buffer): string | undefined => {
  if (typeof token !== 'string') return undefined;
  const text = token.toLowerCase();
  if (!TOKEN_PATTERN.test(text)) return undefined;
  const bytes = fromBase32(text);
  if (bytes.length !== TOKEN_BYTES) return undefined;
  const id = bytes.subarray(0, 16);
  if (!timingSafeEqual(bytes.subarray(16), mac(key, id))) return undefined;
  return uuidOf(id);
};

/**
 * The message id in a VERP address (`bounces+<token>@<domain>`, angle brackets and case
 * ignored), or undefined when the address is not ours, names another bounce domain (when one is
 * given), or its token was forged or altered.
 */
export const parseVerpAddress = (
  address: unknown,
  key: Buffer,
  bounceDomain?: string,
): string | undefined => {
  if (typeof address !== 'string' || address.length > 320) return undefined;
  const trimmed = address.trim().replace(/^<(.*)>$/, '$1');
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return undefined;
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = trimmed.slice(at + 1).toLowerCase();
  if (bounceDomain !== undefined && domain !== bounceDomain.toLowerCase()) return undefined;
  if (!local.startsWith(VERP_PREFIX)) return undefined;
  return parseVerpToken(local.slice(VERP_PREFIX.length), key);
};

const atom = (value: string, what: string): string => {
  if (!SAFE_ATOM.test(value)) {
    throw new MessageHeaderError('INVALID_HEADER_VALUE', `${what} may only hold A-Z a-z 0-9 . _ -`);
  }
  return value;
};

const domainOf = (value: string, what: string): string => {
  if (!DOMAIN.test(value)) {
    throw new MessageHeaderError('INVALID_HEADER_VALUE', `${what} must be a domain name`);
  }
  return value.toLowerCase();
};

/**
 * The headers every campaign message carries, from ids only (nothing here holds the recipient's
 * address; `To` is the caller's):
 *
 * - `List-Unsubscribe: <https://…>, <mailto:…?subject=unsubscribe%20<token>>` and
 *   `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058; RFC 2369);
 * - `Feedback-ID: <campaign>:<tenant>:mailpackr:<sender>` (Gmail's Feedback Loop format);
 * - `Message-ID: <messageId@domain>` and `X-MailPackr-Message: <messageId>`;
 * - the envelope sender `bounces+<token>@<bounce domain>` (VERP), which becomes Return-Path.
 */
export const buildMessageHeaders = (
  ids: MessageIds,
  options: MessageHeaderOptions,
): BuiltMessageHeaders => {
  const unsubscribe = new URL(options.unsubscribeUrl);
  if (unsubscribe.protocol !== 'https:' && unsubscribe.protocol !== 'http:') {
    throw new MessageHeaderError('INVALID_HEADER_VALUE', 'unsubscribeUrl must be an http(s) URL');
  }
  if (!MAILBOX.test(options.unsubscribeMailto)) {
    throw new MessageHeaderError('INVALID_HEADER_VALUE', 'unsubscribeMailto must be a mailbox');
  }
  const bounceDomain = domainOf(options.bounceDomain, 'bounceDomain');
  const idDomain = domainOf(options.messageIdDomain ?? bounceDomain, 'messageIdDomain');
  uuidBytes(ids.messageId);
  const messageId = ids.messageId.toLowerCase();
  const token = verpToken(messageId, options.verpKey);
  const feedbackId = [
    atom(ids.campaignId, 'campaignId'),
    atom(ids.tenantId, 'tenantId'),
    'mailpackr',
    atom(options.feedbackSenderId, 'feedbackSenderId'),
  ].join(':');
  const messageIdHeader = `<${messageId}@${idDomain}>`;
  return {
    messageIdHeader,
    envelopeFrom: `${VERP_PREFIX}${token}@${bounceDomain}`,
    headers: {
      'Message-ID': messageIdHeader,
      'List-Unsubscribe': `<${unsubscribe.href}>, <mailto:${options.unsubscribeMailto}?subject=unsubscribe%20${token}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Feedback-ID': feedbackId,
      'X-MailPackr-Message': messageId,
    },
  };
};
