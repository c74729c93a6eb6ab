import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';

import { encodeQuotedPrintable, quotedPrintablePart } from './quoted-printable.js';

/** RFC 2045 decoding, written out: soft breaks go, `=XX` is a byte, the rest is as is. */
const decode = (encoded: string): Buffer => {
  const bytes: number[] = [];
  const text = encoded.replace(/=\r\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes);
};

/** Line breaks as a message carries them (a CR alone stays a CR). */
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

describe('encodeQuotedPrintable', () => {
  describe('When a text has every kind of character', () => {
    it('should keep printable ASCII, encode the rest, and break lines at 76', () => {
      const encoded = encodeQuotedPrintable(`a=b ${'x'.repeat(100)}\nSchöne Grüße \t\nend `);
      expect(encoded).toBe(
        `a=3Db ${'x'.repeat(69)}=\r\n${'x'.repeat(31)}\r\nSch=C3=B6ne Gr=C3=BC=C3=9Fe =09\r\nend=20`,
      );
    });

    it('should never split an escape over a soft break, and keep a lone CR', () => {
      const encoded = encodeQuotedPrintable(`${'y'.repeat(74)}é\rz`);
      expect(encoded).toBe(`${'y'.repeat(74)}=\r\n=C3=A9=0Dz`);
    });
  });

  describe('When a mail client reads the part', () => {
    it('should read the HTML as written (mailparser)', async () => {
      const html = `<p style="color: #333; font-family: Helvetica, Arial">Grüße, ${'Anna '.repeat(30)}=</p>\n<a href="https://x.example/u/abc?t=1">Abmelden</a>`;
      const parsed = await simpleParser(
        `MIME-Version: 1.0\r\n${quotedPrintablePart('text/html', html)}`,
      );
      expect(parsed.html).toBe(html);
    });
  });

  describe('When any text is encoded (property)', () => {
    it('should give lines of at most 76 safe characters that decode to the same text', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 400 }),
            fc.string({
              unit: fc.constantFrom('a', ' ', '\t', '=', '\n', '\r\n', 'é', '€', '😀', '.'),
              maxLength: 300,
            }),
          ),
          (text) => {
            const encoded = encodeQuotedPrintable(text);
            for (const line of encoded.split('\r\n')) {
              expect(line.length).toBeLessThanOrEqual(76);
              expect(line).toMatch(/^[\t !-~]*$/);
              expect(line).not.toMatch(/[ \t]$/);
            }
            expect(decode(encoded).equals(Buffer.from(crlf(text), 'utf8'))).toBe(true);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
