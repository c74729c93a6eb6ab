/**
 * Anything that looks like an email address (`local@domain`), wherever it sits in a text: inside
 * an SMTP reply (`550 5.1.1 <alice@example.org>: user unknown`), a pg error detail
 * (`Key (email)=(alice@example.org)`), a stack trace. Parts are bounded (RFC 5321 lengths), so
 * a long text is scanned in linear time.
 */
const EMAIL = /[^\s<>()[\]{}"'`,;:\\@]{1,64}@[^\s<>()[\]{}"'`,;:\\@]{1,255}/g;

/** Text with every email address replaced by `[email]`: what may go into a log line. */
export const redactEmails = (text: string): string =>
  text.includes('@') ? text.replace(EMAIL, '[email]') : text;

/**
 * A log argument with every email address redacted: strings directly, plain objects and arrays
 * field by field, errors by message and stack. Anything else is returned as it is.
 */
export const redactLogValue = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return redactEmails(value);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const copy = new Error(redactEmails(value.message));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : redactEmails(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactLogValue(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, redactLogValue(v, depth + 1)]),
  );
};
