import type { BounceKind } from '#domain';

/**
 * What a bounce says about the recipient's address, from the RFC 3463 enhanced status code of a
 * delivery report and its diagnostic text:
 *
 * - `hard`: the address is gone for good (5.1.x bad mailbox, address or domain; 5.2.1 mailbox
 *   disabled; or a diagnostic that plainly says the user is unknown or the account is disabled or
 *   does not exist): stop mailing it;
 * - `blocked`: a permanent refusal that counts against the sender, not the recipient (5.7.x
 *   policy, security and spam blocks; 5.1.7 and 5.1.8, a bad sender address): the address may
 *   still be good;
 * - `soft`: anything else, temporary (4.x.x) or not understood: the address is kept.
 *
 * Unknown means soft, so nothing is suppressed on a guess.
 */
export type { BounceKind };

/**
 * An enhanced status code standing on its own: not part of a longer dotted number (an IP address,
 * a version) and with the class, subject and detail of RFC 3463 (`5.1.1`, `4.7.28`, `5.01.001`).
 * A full stop right after the code (end of a sentence) is allowed.
 */
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/;

/** Diagnostics are read this far: the phrases that matter come first, and regexps stay cheap. */
const MAX_DIAGNOSTIC_CHARS = 4096;

/** Phrases in which a receiving server says, in words, that the mailbox is not there (any more). */
const HARD_PHRASE = new RegExp(
  [
    String.raw`\buser\s+unknown\b`,
    String.raw`\bunknown\s+(?:user|recipient|mailbox)\b`,
    String.raw`\bno\s+such\s+(?:user|mailbox|recipient|account|address)\b`,
    String.raw`\b(?:account|mailbox|address|user|recipient)\b[^.;:]{0,40}?\b(?:disabled|inactive|deactivated)\b`,
    String.raw`\b(?:does\s+not|doesn't|no\s+longer)\s+exists?\b`,
  ].join('|'),
  'gi',
);

/** The phrase is about our side (`Sender address does not exist`), which says nothing of the recipient. */
const ABOUT_SENDER = /\bsender\b[^.;:]*$/i;

interface Status {
  klass: number;
  subject: number;
  detail: number;
}

const statusIn = (text: string): Status | null => {
  const match = ENHANCED.exec(text);
  if (!match) return null;
  return { klass: Number(match[1]), subject: Number(match[2]), detail: Number(match[3]) };
};

/**
 * The first enhanced status code in a text, normalised (`smtp; 550 5.01.001 <x@y>: user unknown`
 * → `5.1.1`), or null when there is none. Dotted numbers that only contain one (`10.45.1.12`,
 * `2.5.1.1`) do not count.
 */
export const enhancedStatusIn = (text: string): string | null => {
  if (typeof text !== 'string') return null;
  const status = statusIn(text.slice(0, MAX_DIAGNOSTIC_CHARS));
  return status ? `${status.klass}.${status.subject}.${status.detail}` : null;
};

/** Whether a diagnostic says in words that the recipient's mailbox is unknown, disabled or gone. */
const saysMailboxIsGone = (diagnostic: string): boolean => {
  for (const match of diagnostic.matchAll(HARD_PHRASE)) {
    if (!ABOUT_SENDER.test(diagnostic.slice(Math.max(0, match.index - 60), match.index))) {
      return true;
    }
  }
  return false;
};

/**
 * Classifies a bounce from a DSN `Status` field (`5.1.1`; surrounding space, leading zeros and a
 * trailing comment are accepted) and its `Diagnostic-Code` (or any reply text), either of which may
 * be missing. The status decides when it can be read; a generic `X.0.0` status is refined by a
 * more specific code of the same class in the diagnostic; without a readable status the
 * diagnostic's own code is used, and failing that its wording. Never throws.
 */
export const classifyBounce = (status: string | null, diagnostic: string | null): BounceKind => {
  const text = typeof diagnostic === 'string' ? diagnostic.slice(0, MAX_DIAGNOSTIC_CHARS) : '';
  const fromDiagnostic = statusIn(text);
  let code = typeof status === 'string' ? statusIn(status.slice(0, MAX_DIAGNOSTIC_CHARS)) : null;
  if (code === null) {
    code = fromDiagnostic;
  } else if (
    code.subject === 0 &&
    code.detail === 0 &&
    fromDiagnostic !== null &&
    fromDiagnostic.klass === code.klass
  ) {
    code = fromDiagnostic;
  }

  if (code !== null) {
    if (code.klass === 4) return 'soft';
    if (code.klass === 5) {
      if (code.subject === 7) return 'blocked';
      if (code.subject === 1) return code.detail === 7 || code.detail === 8 ? 'blocked' : 'hard';
      if (code.subject === 2 && code.detail === 1) return 'hard';
    } else {
      // 2.x.x: the message was delivered after all, whatever the text says.
      return 'soft';
    }
  }
  // Any other 5.x.x, a success code, or no code at all: only the wording can make it hard.
  return saysMailboxIsGone(text) ? 'hard' : 'soft';
};
