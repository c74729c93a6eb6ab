/**
 * An email address as MailPackr keeps it. `address` is what we send to: trimmed, unwrapped from
 * quotes or angle brackets, domain lower-cased (and IDN domains in their ASCII form). `key` is
 * what identifies the person inside a tenant (deduplication, lookup, suppression): the whole
 * address lower-cased, because every large mailbox provider treats the local part
 * case-insensitively, and an erased `Ada@x.org` must not come back as `ada@x.org`.
 */
export interface NormalisedEmail {
  address: string;
  key: string;
}

export type EmailProblem =
  | 'empty'
  | 'too long'
  | 'no @'
  | 'more than one @'
  | 'invalid characters'
  | 'invalid local part'
  | 'invalid domain';

export type EmailCheck =
  { ok: true; email: NormalisedEmail } | { ok: false; problem: EmailProblem };

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
const WRAPPERS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['<', '>'],
  ['“', '”'],
];
/**
 * RFC 5322 dot-atom text, plus UTF-8 (RFC 6531): letters, digits and the combining marks that many
 * scripts cannot do without even in NFC (Devanagari, Tamil, …). No quoted local parts.
 */
const LOCAL_ATOM = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+$/u;
/** The same two checks for printable ASCII (no letters, marks or digits beyond ASCII's), faster. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const LOCAL_ATOM_ASCII = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const FORBIDDEN_ASCII = /[,;:()<>[\]\\"]/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const FORBIDDEN_CHARS = /[\s\p{Cc}\p{Cf}\p{Z},;:()<>[\]\\"]/u;
const PLAIN_ASCII_DOMAIN = /^(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*$/;
const PUNYCODE_LABEL = /(?:^|\.)xn--/;
/** Would end the host part of a URL early or be percent-decoded inside it (see `toAsciiDomain`). */
const URL_DELIMITERS = /[/?#%]/;

/**
 * IDNA (UTS #46) to ASCII, lower-cased, exactly as a browser reads a host; '' when it is not a
 * valid domain. The WHATWG `URL` is standard JavaScript, which keeps this module free of Node
 * imports (the domain library is pure).
 */
const toAsciiDomain = (domain: string): string => {
  // Already ASCII, no punycode label, and the last label starts with a letter (so the URL
  // parser would not read an IPv4 address): the URL parser returns it unchanged. Most
  // addresses take this path, which costs a tenth of parsing a URL.
  if (PLAIN_ASCII_DOMAIN.test(domain) && !PUNYCODE_LABEL.test(domain)) return domain;
  if (URL_DELIMITERS.test(domain)) return '';
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return '';
  }
};

const unwrap = (text: string): string => {
  let value = text.trim();
  for (let changed = true; changed && value.length >= 2;) {
    changed = false;
    for (const [open, close] of WRAPPERS) {
      if (value.startsWith(open) && value.endsWith(close)) {
        value = value.slice(open.length, value.length - close.length).trim();
        changed = true;
      }
    }
  }
  return value;
};

/** Checks and normalises an email address; never throws. */
export const checkEmail = (input: unknown): EmailCheck => {
  if (typeof input !== 'string') return { ok: false, problem: 'empty' };
  const value = unwrap(input.normalize('NFC'));
  if (value === '') return { ok: false, problem: 'empty' };
  // Before counting '@': `a@b.com\nBcc: x@y.z` is a header injection, not a typo.
  const ascii = PRINTABLE_ASCII.test(value);
  if ((ascii ? FORBIDDEN_ASCII : FORBIDDEN_CHARS).test(value)) {
    return { ok: false, problem: 'invalid characters' };
  }
  if (value.length > MAX_ADDRESS) return { ok: false, problem: 'too long' };
  const at = value.lastIndexOf('@');
  if (at === -1) return { ok: false, problem: 'no @' };
  if (value.indexOf('@') !== at) return { ok: false, problem: 'more than one @' };
  const local = value.slice(0, at);
  const rawDomain = value.slice(at + 1);
  if (
    local.length === 0 ||
    local.length > MAX_LOCAL ||
    !local.split('.').every((atom) => (ascii ? LOCAL_ATOM_ASCII : LOCAL_ATOM).test(atom))
  ) {
    return { ok: false, problem: 'invalid local part' };
  }
  const domain = toAsciiDomain(rawDomain.toLowerCase());
  const labels = domain.split('.');
  if (
    domain === '' ||
    domain.length > 253 ||
    labels.length < 2 ||
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    /^[0-9]+$/.test(labels[labels.length - 1] ?? '')
  ) {
    return { ok: false, problem: 'invalid domain' };
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS) return { ok: false, problem: 'too long' };
  return { ok: true, email: { address, key: address.toLowerCase() } };
};
