import type { Attachment, ParsedMail, StructuredHeader, simpleParser } from 'mailparser';

import { VERP_PREFIX } from '../delivery/message-headers.js';
import { type BounceKind, classifyBounce, enhancedStatusIn } from './bounce-classification.js';

/** The `Action` of one recipient in a delivery report (RFC 3464 section 2.3.3). */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded' | 'unknown';

/** One recipient of a delivery report. */
export interface DsnRecipient {
  /** The `Action` field, lower case; `unknown` when it is missing or not one of RFC 3464's. */
  action: DsnAction;
  /** The `Status` field's enhanced status code, normalised (`5.01.001` → `5.1.1`); null when unreadable. */
  status: string | null;
  /** The `Diagnostic-Code` field as it came, unfolded (`smtp; 550 5.1.1 <x@y>: User unknown`). */
  diagnosticCode: string | null;
  /** The address of `Final-Recipient` (or, missing that, `Original-Recipient`), type and brackets removed. */
  finalRecipient: string | null;
  /** `classifyBounce(status, diagnosticCode)`; read it together with `action`. */
  bounce: BounceKind;
}

/**
 * What the report tells about the message we sent, raw and unverified: the caller checks the VERP
 * token and looks the ids up. Message ids come without angle brackets.
 */
export interface OriginalMessageRef {
  /** `Message-ID`s of the returned message (or header section). */
  messageIds: string[];
  /**
   * The original envelope sender, `bounces+<token>@<domain>` for our mail: the returned message's
   * `Return-Path`, ARF's `Original-Mail-From`, Postfix's `X-Postfix-Sender`.
   */
  returnPaths: string[];
  /** The returned message's `X-MailPackr-Message`. */
  xMailpackrMessage: string | null;
  /** `Original-Envelope-Id` of the delivery or feedback report (RFC 3464, RFC 5965). */
  envelopeId: string | null;
}

/**
 * An inbound mail to the bounce address, read:
 *
 * - `dsn`: a delivery status notification (RFC 3464 `multipart/report; report-type=delivery-status`,
 *   or a plain bounce whose subject and text say so);
 * - `complaint`: an abuse or feedback-loop report (RFC 5965 ARF), `feedbackType` lower case
 *   (`abuse`, `fraud`, `not-spam`, …; `unknown` when missing);
 * - `unknown`: anything else (an auto-reply, a human, garbage, too big), with a reason that holds
 *   no text of the message beyond a sanitised report type.
 */
export type InboundReport =
  | { kind: 'dsn'; recipients: DsnRecipient[]; original: OriginalMessageRef }
  | { kind: 'complaint'; feedbackType: string; original: OriginalMessageRef }
  | { kind: 'unknown'; reason: string };

export interface ParseInboundReportOptions {
  /** Larger inputs are `unknown` without being parsed. Default 10 MiB. */
  maxBytes?: number;
  /** Parsing that takes longer is given up on (`unknown`). Default 5 s. */
  timeoutMs?: number;
}

/** mailparser is loaded on the first report (about 7 MB of heap a process would carry unused). */
let mailparser: Promise<{ simpleParser: typeof simpleParser }> | undefined;
const loadMailparser = () => (mailparser ??= import('mailparser'));

export const DEFAULT_INBOUND_REPORT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_INBOUND_REPORT_TIMEOUT_MS = 5_000;

/** More recipients than this in one report are dropped (a DSN normally names one). */
export const MAX_REPORT_RECIPIENTS = 500;
/** At most this many ids of each sort are kept. */
const MAX_REFS = 20;
/** One field value (after unfolding) or one diagnostic line is clipped to this. */
const MAX_FIELD_CHARS = 2000;
/** Header sections (returned messages, reports) are read this far. */
const MAX_SECTION_CHARS = 256 * 1024;
/** Plain text scanned for a non-standard bounce's status and ids. */
const MAX_SCAN_CHARS = 256 * 1024;

const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const FEEDBACK_REPORT = 'message/feedback-report';
/** Parts that return the original message, or its header section. */
const RETURNED = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
]);
const ACTIONS: ReadonlySet<string> = new Set([
  'failed',
  'delayed',
  'delivered',
  'relayed',
  'expanded',
]);
const RECIPIENT_FIELDS = ['final-recipient', 'original-recipient', 'action', 'status'];

/** Subjects of bounces that are not `multipart/report` (Postfix, Gmail, Exim, Exchange, qmail, sendmail). */
const BOUNCE_SUBJECT =
  /undelivered mail returned to sender|delivery status notification \((?:failure|delay)\)|mail delivery failed|undeliverable|returned mail|failure notice|delivery failure|could not be delivered/i;
/** `550 5.1.1` / `452-4.2.2`: a reply code and an enhanced code of the same class. */
const REPLY_WITH_STATUS = /(?<!\d)([45])\d\d[ -]+([45])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/g;
const ANY_FAILURE_STATUS = /(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/;
const X_MAILPACKR_LINE = /^[ \t>]*X-MailPackr-Message:[ \t]*<?([^\s<>]+)>?/im;
const MESSAGE_ID_LINE = /^[ \t>]*Message-ID:[ \t]*<([^<>\s]+)>/gim;
const VERP_ADDRESS = new RegExp(
  `(?<![\\w.+-])${VERP_PREFIX.replace('+', '\\+')}[A-Za-z0-9._=-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+`,
  'gi',
);
const TIMED_OUT = Symbol('timed out');

type Fields = Array<[name: string, value: string]>;

const unknown = (reason: string): InboundReport => ({ kind: 'unknown', reason });

const clip = (text: string): string => text.slice(0, MAX_FIELD_CHARS);

/**
 * Blocks of `Name: value` fields separated by blank lines (a header section, or the groups of a
 * `message/delivery-status` body): names lower case, folded lines joined, other lines ignored.
 */
const fieldBlocks = (text: string, maxBlocks: number): Fields[] => {
  const blocks: Fields[] = [];
  let block: Fields = [];
  for (const line of text.slice(0, MAX_SECTION_CHARS * 4).split(/\r\n|\r|\n/)) {
    if (line.trim() === '') {
      if (block.length > 0) {
        blocks.push(block);
        if (blocks.length >= maxBlocks) return blocks;
        block = [];
      }
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = block.at(-1);
      if (last) last[1] = clip(`${last[1]} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    block.push([name, clip(line.slice(colon + 1).trim())]);
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
};

/** The header section at the start of a text (a returned message, a report part). */
const headerSection = (text: string): Fields =>
  fieldBlocks(text.slice(0, MAX_SECTION_CHARS), 1)[0] ?? [];

const field = (fields: Fields, name: string): string | null =>
  fields.find(([key]) => key === name)?.[1] ?? null;

const fieldsNamed = (fields: Fields, name: string): string[] =>
  fields.filter(([key]) => key === name).map(([, value]) => value);

/** `<a@b>` → `a@b`; a value without brackets is trimmed. */
const unbracketed = (value: string): string => (/<([^<>]*)>/.exec(value)?.[1] ?? value).trim();

/** `rfc822; <a@b>` → `a@b` (the address type of RFC 3464 fields dropped). */
const typedAddress = (value: string): string =>
  unbracketed(value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, ''));

const orNull = (value: string | null): string | null =>
  value === null || value.trim() === '' ? null : value.trim();

class RefCollector {
  private readonly messageIds = new Set<string>();
  private readonly returnPaths = new Set<string>();
  private xMailpackrMessage: string | null = null;
  private envelopeId: string | null = null;

  messageId(value: string): void {
    const id = unbracketed(value);
    if (id !== '' && this.messageIds.size < MAX_REFS) this.messageIds.add(id);
  }

  returnPath(value: string): void {
    const address = unbracketed(value);
    if (address !== '' && this.returnPaths.size < MAX_REFS) this.returnPaths.add(address);
  }

  mailpackrMessage(value: string): void {
    this.xMailpackrMessage ??= orNull(unbracketed(value));
  }

  envelope(value: string): void {
    this.envelopeId ??= orNull(value);
  }

  get empty(): boolean {
    return (
      this.messageIds.size === 0 && this.returnPaths.size === 0 && this.xMailpackrMessage === null
    );
  }

  /** The headers of a returned message or header section. */
  returnedHeaders(fields: Fields): void {
    for (const value of fieldsNamed(fields, 'message-id')) this.messageId(value);
    for (const value of fieldsNamed(fields, 'return-path')) this.returnPath(value);
    const x = field(fields, 'x-mailpackr-message');
    if (x !== null) this.mailpackrMessage(x);
  }

  /** Ids found anywhere in free text (a bounce that quotes the message instead of attaching it). */
  scan(text: string): void {
    const head = text.slice(0, MAX_SCAN_CHARS);
    const x = X_MAILPACKR_LINE.exec(head);
    if (x) this.mailpackrMessage(x[1]!);
    for (const match of head.matchAll(MESSAGE_ID_LINE)) this.messageId(match[1]!);
    for (const match of head.matchAll(VERP_ADDRESS)) this.returnPath(match[0]);
  }

  build(): OriginalMessageRef {
    return {
      messageIds: [...this.messageIds],
      returnPaths: [...this.returnPaths],
      xMailpackrMessage: this.xMailpackrMessage,
      envelopeId: this.envelopeId,
    };
  }
}

const contentTypeOf = (part: Attachment): string => part.contentType.toLowerCase();

const textOf = (part: Attachment): string =>
  part.content.subarray(0, MAX_SECTION_CHARS * 4).toString('utf8');

/** The refs in every returned part; the free text too when those hold none. */
const collectReturned = (mail: ParsedMail, refs: RefCollector): void => {
  for (const part of mail.attachments) {
    if (RETURNED.has(contentTypeOf(part))) refs.returnedHeaders(headerSection(textOf(part)));
  }
  if (refs.empty) scanEverything(mail, refs);
};

const scanEverything = (mail: ParsedMail, refs: RefCollector): void => {
  refs.scan(mail.text ?? '');
  for (const part of mail.attachments) {
    const type = contentTypeOf(part);
    if (RETURNED.has(type) || type.startsWith('text/')) refs.scan(textOf(part));
  }
};

const actionOf = (value: string | null): DsnAction => {
  const word = /^\s*([a-z]+)/i.exec(value ?? '')?.[1]?.toLowerCase() ?? '';
  return ACTIONS.has(word) ? (word as DsnAction) : 'unknown';
};

const recipientOf = (block: Fields): DsnRecipient => {
  const rawStatus = field(block, 'status');
  const status = rawStatus === null ? null : enhancedStatusIn(rawStatus);
  const diagnosticCode = orNull(field(block, 'diagnostic-code'));
  const address = field(block, 'final-recipient') ?? field(block, 'original-recipient');
  return {
    action: actionOf(field(block, 'action')),
    status,
    diagnosticCode,
    finalRecipient: address === null ? null : orNull(typedAddress(address)),
    bounce: classifyBounce(status, diagnosticCode),
  };
};

/** An RFC 3464 report: per-message fields, then one block per recipient. */
const deliveryReport = (
  mail: ParsedMail,
  statusPart: Attachment,
  refs: RefCollector,
): InboundReport | null => {
  const blocks = fieldBlocks(textOf(statusPart), MAX_REPORT_RECIPIENTS * 2 + 1);
  const recipients: DsnRecipient[] = [];
  for (const block of blocks) {
    const envelopeId = field(block, 'original-envelope-id');
    if (envelopeId !== null) refs.envelope(envelopeId);
    const sender = field(block, 'x-postfix-sender');
    if (sender !== null) refs.returnPath(typedAddress(sender));
    if (
      recipients.length < MAX_REPORT_RECIPIENTS &&
      block.some(([name]) => RECIPIENT_FIELDS.includes(name))
    ) {
      recipients.push(recipientOf(block));
    }
  }
  if (recipients.length === 0) return null;
  collectReturned(mail, refs);
  return { kind: 'dsn', recipients, original: refs.build() };
};

/** An RFC 5965 (ARF) feedback report. */
const feedbackReport = (mail: ParsedMail, reportPart: Attachment): InboundReport => {
  const fields = headerSection(textOf(reportPart));
  const refs = new RefCollector();
  const envelopeId = field(fields, 'original-envelope-id');
  if (envelopeId !== null) refs.envelope(envelopeId);
  for (const value of fieldsNamed(fields, 'original-mail-from')) refs.returnPath(value);
  collectReturned(mail, refs);
  const feedbackType =
    /^\s*([A-Za-z0-9._-]+)/.exec(field(fields, 'feedback-type') ?? '')?.[1]?.toLowerCase() ??
    'unknown';
  return { kind: 'complaint', feedbackType, original: refs.build() };
};

/**
 * A bounce that is not `multipart/report` (older Gmail, Exim, qmail, Exchange): recognised by its
 * subject and an SMTP status in its text, one recipient whose address is not read.
 */
const plainBounce = (mail: ParsedMail, refs = new RefCollector()): InboundReport | null => {
  if (!BOUNCE_SUBJECT.test(mail.subject ?? '')) return null;
  const text = (mail.text ?? '').slice(0, MAX_SCAN_CHARS);
  let found: { index: number; code: string } | null = null;
  for (const match of text.matchAll(REPLY_WITH_STATUS)) {
    if (match[1] === match[2]) {
      found = { index: match.index, code: `${match[2]}.${Number(match[3])}.${Number(match[4])}` };
      break;
    }
  }
  if (found === null) {
    const match = ANY_FAILURE_STATUS.exec(text);
    if (match === null) return null;
    found = { index: match.index, code: `${match[1]}.${Number(match[2])}.${Number(match[3])}` };
  }
  const lineStart = text.lastIndexOf('\n', found.index) + 1;
  const lineEnd = text.indexOf('\n', found.index);
  const diagnosticCode = clip(text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim());
  scanEverything(mail, refs);
  return {
    kind: 'dsn',
    recipients: [
      {
        action: found.code.startsWith('5.') ? 'failed' : 'delayed',
        status: found.code,
        diagnosticCode,
        finalRecipient: null,
        bounce: classifyBounce(found.code, diagnosticCode),
      },
    ],
    original: refs.build(),
  };
};

const reportTypeOf = (mail: ParsedMail): { type: string; reportType: string } => {
  const header = mail.headers.get('content-type') as Partial<StructuredHeader> | undefined;
  if (typeof header?.value === 'string') {
    const reportType = header.params?.['report-type'];
    return {
      type: header.value.toLowerCase(),
      reportType: typeof reportType === 'string' ? reportType.trim().toLowerCase() : '',
    };
  }
  return { type: '', reportType: '' };
};

const readReport = (mail: ParsedMail): InboundReport => {
  const { type, reportType } = reportTypeOf(mail);
  if (type === 'multipart/report') {
    const feedback = mail.attachments.find((part) => contentTypeOf(part) === FEEDBACK_REPORT);
    const status = mail.attachments.find((part) => DELIVERY_STATUS.has(contentTypeOf(part)));
    if (feedback && (reportType === 'feedback-report' || !status)) {
      return feedbackReport(mail, feedback);
    }
    if (status) {
      // A report without recipients may still say in words what happened.
      const refs = new RefCollector();
      return (
        deliveryReport(mail, status, refs) ??
        plainBounce(mail, refs) ??
        unknown('delivery report names no recipient')
      );
    }
    if (reportType === 'feedback-report') return unknown('feedback report without its report part');
    if (reportType !== '' && reportType !== 'delivery-status') {
      const safe = reportType.replace(/[^a-z0-9._-]/g, '').slice(0, 40);
      return unknown(`unsupported report type: ${safe}`);
    }
  }
  return plainBounce(mail) ?? unknown('not a delivery or feedback report');
};

const sizeOf = (raw: Buffer | string, maxBytes: number): number =>
  typeof raw === 'string'
    ? raw.length > maxBytes
      ? raw.length
      : Buffer.byteLength(raw, 'utf8')
    : raw.length;

const withTimeout = async <T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

const isBlank = (raw: Buffer | string): boolean => {
  if (typeof raw === 'string') return !/\S/.test(raw);
  // Space, tab, CR, LF.
  return raw.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a);
};

const limit = (value: number | undefined, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;

/**
 * Reads a mail that arrived at the bounce address: a delivery status notification, a complaint,
 * or neither. Pure but for the parsing: nothing is logged (diagnostics and recipients hold
 * addresses; the caller redacts) and nothing is verified (the caller checks VERP tokens). Never
 * rejects: malformed, empty, oversized or unparseable input, and parsing that runs past
 * `timeoutMs`, come back as `unknown`.
 */
export async function parseInboundReport(
  raw: Buffer | string,
  options?: ParseInboundReportOptions,
): Promise<InboundReport> {
  try {
    if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) {
      return unknown('input is not a Buffer or a string');
    }
    const maxBytes = limit(options?.maxBytes, DEFAULT_INBOUND_REPORT_MAX_BYTES);
    if (sizeOf(raw, maxBytes) > maxBytes) return unknown(`message larger than ${maxBytes} bytes`);
    if (isBlank(raw)) return unknown('empty message');
    const { simpleParser: parse } = await loadMailparser();
    const parsed = await withTimeout(
      parse(raw, {
        keepDeliveryStatus: true,
        ignoreEmbedded: true,
        keepCidLinks: true,
        skipImageLinks: true,
        skipTextToHtml: true,
        skipTextLinks: true,
        maxHtmlLengthToParse: MAX_SCAN_CHARS,
        checksumAlgo: false,
      }),
      limit(options?.timeoutMs, DEFAULT_INBOUND_REPORT_TIMEOUT_MS),
    );
    if (parsed === TIMED_OUT) return unknown('parsing timed out');
    return readReport(parsed);
  } catch {
    return unknown('message could not be parsed');
  }
}
