const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const EQUALS = 0x3d;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
/** Characters on an encoded line before a soft break's `=` (RFC 2045: 76 with it). */
const LINE = 75;

/**
 * Quoted-printable (RFC 2045 section 6.7) of a text's UTF-8 bytes, in one pass over a buffer.
 * Line breaks (LF or CRLF) become CRLF; a CR alone, `=`, bytes outside printable ASCII, and a
 * space or tab at the end of a line or of the text are encoded as `=XX`; soft breaks (`=` CRLF)
 * keep every line at 76 characters at most and never split an `=XX`.
 *
 * `MailTransport` hands nodemailer each part already encoded: nodemailer's own path (a scan of
 * the whole text to choose an encoding, then a string-based encoder behind three streams) was
 * about a tenth of the delivery worker's CPU per 25 KB message.
 */
export const encodeQuotedPrintable = (text: string): string => {
  const input = Buffer.from(text, 'utf8');
  // Worst case: every byte as =XX, plus a soft break per 25 of them.
  const out = Buffer.allocUnsafe(input.length * 4 + 3);
  let o = 0;
  let column = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const byte = input[i]!;
    if (byte === LF || (byte === CR && input[i + 1] === LF)) {
      if (byte === CR) i++;
      out[o++] = CR;
      out[o++] = LF;
      column = 0;
      continue;
    }
    let encode = byte === EQUALS || byte < SPACE || byte > 0x7e;
    if (byte === SPACE || byte === TAB) {
      const next = input[i + 1];
      encode = next === undefined || next === LF || (next === CR && input[i + 2] === LF);
    }
    const width = encode ? 3 : 1;
    if (column + width > LINE) {
      out[o++] = EQUALS;
      out[o++] = CR;
      out[o++] = LF;
      column = 0;
    }
    if (encode) {
      out[o++] = EQUALS;
      out[o++] = HEX[byte >> 4]!;
      out[o++] = HEX[byte & 15]!;
    } else {
      out[o++] = byte;
    }
    column += width;
  }
  return out.toString('latin1', 0, o);
};

/**
 * A whole MIME part for nodemailer's `raw` (headers, blank line, quoted-printable body), so the
 * message is streamed as given: `text/html` or `text/plain`, UTF-8.
 */
export const quotedPrintablePart = (type: 'text/html' | 'text/plain', text: string): string =>
  `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encodeQuotedPrintable(text)}`;
