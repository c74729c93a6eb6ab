/**
 * What one SMTP transaction for one message came to, decided from the server's reply code and
 * the RFC 3463 enhanced status code in the reply text:
 *
 * - `sent`: 2xx after DATA;
 * - `deferred`: any 4xx, retried later; `throttle` is set for 421 and 4.7.x (the destination is
 *   slowing us down: back off the whole domain, not only this message);
 * - `bounced`: any 5xx, never retried; `policy` is set for 5.7.x (a policy block counts against
 *   the sender, not the recipient);
 * - `failed`: no usable reply (connection refused, reset, timeout, TLS, protocol); the caller
 *   treats it as a deferral. After a reset mid-DATA the server may have the message: this is the
 *   one duplicate window, which the caller logs.
 */
export type SendOutcome =
  | { kind: 'sent'; reply: string }
  | {
      kind: 'deferred';
      reply: string;
      code: number;
      enhanced: string | null;
      throttle: boolean;
    }
  | { kind: 'bounced'; reply: string; code: number; enhanced: string | null; policy: boolean }
  | { kind: 'failed'; reason: string };

export type SendOutcomeKind = SendOutcome['kind'];

const REPLY = /^\s*([2-5]\d\d)(?:[ -]|$)/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;

/** Replies are kept for the record, but not without bound (a server may send pages of text). */
const MAX_REPLY_CHARS = 512;

const firstLine = (reply: string): string => reply.split(/\r?\n/, 1)[0]!.trim();

const clip = (reply: string): string =>
  reply.length > MAX_REPLY_CHARS ? `${reply.slice(0, MAX_REPLY_CHARS)}…` : reply;

/**
 * The RFC 3463 status in a reply's first line (`550 5.1.1 No such user` → `5.1.1`), or null when
 * there is none or its class does not match the reply code's (RFC 2034 section 4 requires it to).
 */
export const enhancedStatusOf = (code: number, reply: string): string | null => {
  let text = firstLine(reply);
  const basic = REPLY.exec(text);
  if (basic) text = text.slice(basic[0].length);
  const match = ENHANCED.exec(text.trimStart());
  if (!match) return null;
  if (Number(match[1]) !== Math.floor(code / 100)) return null;
  return `${match[1]}.${Number(match[2])}.${Number(match[3])}`;
};

/**
 * Classifies a server reply. `code` is the basic reply code; `reply` the reply text as the server
 * sent it (with or without the code in front). The basic code decides the kind: a 5xx is a bounce
 * whatever its text says, so nothing permanent is ever retried.
 */
export const classifySmtpReply = (code: number, reply: string): SendOutcome => {
  const text = clip(reply.trim());
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    return { kind: 'failed', reason: `unexpected SMTP reply code ${code}: ${text}` };
  }
  const enhanced = enhancedStatusOf(code, text);
  if (code < 300) return { kind: 'sent', reply: text };
  if (code < 400) {
    // A 3xx as the final word of a transaction is a protocol error, not a decision about the mail.
    return { kind: 'failed', reason: `unexpected SMTP reply: ${text}` };
  }
  if (code < 500) {
    const throttle = code === 421 || (enhanced?.startsWith('4.7.') ?? false);
    return { kind: 'deferred', reply: text, code, enhanced, throttle };
  }
  return {
    kind: 'bounced',
    reply: text,
    code,
    enhanced,
    policy: enhanced?.startsWith('5.7.') ?? false,
  };
};

/**
 * Classifies what nodemailer handed back: an error with `responseCode` / `response` (the server
 * said no) is classified by the reply; an error without one (ECONNREFUSED, ETIMEDOUT, ECONNRESET,
 * ESOCKET, …) is `failed`.
 */
export const classifySendError = (error: unknown): SendOutcome => {
  if (typeof error === 'object' && error !== null) {
    const { responseCode, response, code, message } = error as {
      responseCode?: unknown;
      response?: unknown;
      code?: unknown;
      message?: unknown;
    };
    const text = typeof message === 'string' ? message : 'unknown error';
    if (typeof responseCode === 'number' && responseCode >= 400 && responseCode <= 599) {
      return classifySmtpReply(responseCode, typeof response === 'string' ? response : text);
    }
    const name = typeof code === 'string' ? `${code}: ` : '';
    return { kind: 'failed', reason: clip(`${name}${text}`) };
  }
  return { kind: 'failed', reason: clip(String(error)) };
};

/** The reply code at the start of a reply line (`250 2.0.0 Ok` → 250), if any. */
export const replyCodeOf = (reply: string): number | undefined => {
  const match = REPLY.exec(firstLine(reply));
  return match ? Number(match[1]) : undefined;
};
