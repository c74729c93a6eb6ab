import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { checkEmail, type EmailProblem, type NormalisedEmail } from '#domain';

const normalised = (address: string, key = address.toLowerCase()): NormalisedEmail => ({
  address,
  key,
});

describe('checkEmail', () => {
  describe('When the address is valid', () => {
    it.each<[string, string, NormalisedEmail]>([
      ['a plain address', 'ada@example.com', normalised('ada@example.com')],
      ['a subdomain', 'ada@mail.example.co.uk', normalised('ada@mail.example.co.uk')],
      ['plus-addressing', 'ada+newsletter@example.com', normalised('ada+newsletter@example.com')],
      [
        'dots inside the local part',
        'ada.king.lovelace@example.com',
        normalised('ada.king.lovelace@example.com'),
      ],
      [
        'RFC 5322 specials',
        "o'brien!#$%&*/=?^_`{|}~-@example.com",
        normalised("o'brien!#$%&*/=?^_`{|}~-@example.com"),
      ],
      [
        'a hyphen inside a domain label',
        'ada@my-company.example',
        normalised('ada@my-company.example'),
      ],
      [
        'a digit-only label before the TLD',
        'ada@123.example.com',
        normalised('ada@123.example.com'),
      ],
      ['a UTF-8 local part', 'josé@example.com', normalised('josé@example.com')],
      ['a local part with combining marks', 'हिन्दी@example.com', normalised('हिन्दी@example.com')],
      ['an already punycoded domain', 'ada@xn--bcher-kva.de', normalised('ada@xn--bcher-kva.de')],
      [
        'exactly 64 characters in the local part',
        `${'a'.repeat(64)}@example.com`,
        normalised(`${'a'.repeat(64)}@example.com`),
      ],
    ])('should accept %s', (_, input, expected) =>
      expect(checkEmail(input)).toEqual({ ok: true, email: expected }),
    );

    it.each<[string, string, NormalisedEmail]>([
      ['an IDN domain', 'ada@bücher.de', normalised('ada@xn--bcher-kva.de')],
      [
        'an IDN domain in capitals',
        'Ada@BÜCHER.DE',
        normalised('Ada@xn--bcher-kva.de', 'ada@xn--bcher-kva.de'),
      ],
      ['a Japanese domain and TLD', 'ada@例え.テスト', normalised('ada@xn--r8jz45g.xn--zckzah')],
      ['a full-width domain', 'ada@ｅｘａｍｐｌｅ.com', normalised('ada@example.com')],
      ['an ideographic full stop', 'ada@example。com', normalised('ada@example.com')],
    ])('should convert %s to punycode', (_, input, expected) =>
      expect(checkEmail(input)).toEqual({ ok: true, email: expected }),
    );

    it('should lower-case the domain but keep the case of the local part in the address', () =>
      expect(checkEmail('Ada.Lovelace@Example.COM')).toEqual({
        ok: true,
        email: { address: 'Ada.Lovelace@example.com', key: 'ada.lovelace@example.com' },
      }));

    it('should give two spellings of one address the same key', () => {
      const first = checkEmail('ADA@EXAMPLE.COM');
      const second = checkEmail('ada@example.com');
      expect(first.ok && second.ok && first.email.key === second.email.key).toBe(true);
    });

    it.each<[string, string]>([
      ['whitespace, quotes and capitals', '  "Ada@Example.COM" '],
      ['angle brackets', '<Ada@Example.COM>'],
      ['single quotes', "'Ada@Example.COM'"],
      ['typographic quotes', '“Ada@Example.COM”'],
      ['tabs and a trailing line break', '\tAda@Example.COM\r\n'],
      ['nested wrappers', ' < "Ada@Example.COM" > '],
    ])('should unwrap %s', (_, input) =>
      expect(checkEmail(input)).toEqual({
        ok: true,
        email: { address: 'Ada@example.com', key: 'ada@example.com' },
      }),
    );

    it('should compose the local part to NFC', () =>
      expect(checkEmail('jose\u0301@example.com')).toEqual({
        ok: true,
        email: normalised('jos\u00e9@example.com'),
      }));
  });

  describe('When the address is invalid', () => {
    it.each<[string, unknown, EmailProblem]>([
      ['empty', '', 'empty'],
      ['blank', ' \t ', 'empty'],
      ['only quotes', '""', 'empty'],
      ['not a string', 42, 'empty'],
      ['undefined', undefined, 'empty'],
      ['without @', 'ada.example.com', 'no @'],
      ['with two @', 'ada@lovelace@example.com', 'more than one @'],
      ['with a space inside', 'ada lovelace@example.com', 'invalid characters'],
      ['with a space in the domain', 'ada@exam ple.com', 'invalid characters'],
      ['with a NUL', 'ada\u0000@example.com', 'invalid characters'],
      ['with a bell', 'ada\u0007@example.com', 'invalid characters'],
      ['with DEL', 'ada\u007f@example.com', 'invalid characters'],
      ['with a zero-width space', 'ada\u200b@example.com', 'invalid characters'],
      ['with a soft hyphen in the domain', 'ada@exam\u00adple.com', 'invalid characters'],
      ['a header injection (LF)', 'a@b.com\nBcc: x@y.z', 'invalid characters'],
      ['a header injection (CRLF)', 'a@b.com\r\nBcc: victim@example.com', 'invalid characters'],
      ['a header injection with one @', 'ada@example.com\nSubject: hi', 'invalid characters'],
      ['with a comma (two addresses)', 'ada@example.com,bob@example.com', 'invalid characters'],
      ['with a semicolon (two addresses)', 'ada@example.com;bob@example.com', 'invalid characters'],
      ['a display name', 'Ada <ada@example.com>', 'invalid characters'],
      ['with a comment', 'ada(work)@example.com', 'invalid characters'],
      ['a quoted local part', '"ada"@example.com', 'invalid characters'],
      ['a quoted local part with a space', '"ada lovelace"@example.com', 'invalid characters'],
      ['a quoted local part with an @', '"ada@home"@example.com', 'invalid characters'],
      ['an IP literal', 'ada@[192.0.2.1]', 'invalid characters'],
      ['with a port', 'ada@example.com:25', 'invalid characters'],
      ['without a local part', '@example.com', 'invalid local part'],
      ['with a leading dot in the local part', '.ada@example.com', 'invalid local part'],
      ['with a trailing dot in the local part', 'ada.@example.com', 'invalid local part'],
      ['with a double dot in the local part', 'ada..lovelace@example.com', 'invalid local part'],
      [
        'with 65 characters in the local part',
        `${'a'.repeat(65)}@example.com`,
        'invalid local part',
      ],
      ['without a domain', 'ada@', 'invalid domain'],
      ['with a domain without a dot', 'ada@localhost', 'invalid domain'],
      ['with a domain label starting with -', 'ada@-example.com', 'invalid domain'],
      ['with a domain label ending with -', 'ada@example-.com', 'invalid domain'],
      ['with an empty domain label', 'ada@example..com', 'invalid domain'],
      ['with a leading dot in the domain', 'ada@.example.com', 'invalid domain'],
      ['with a trailing dot in the domain', 'ada@example.com.', 'invalid domain'],
      ['with a domain label of 64 characters', `ada@${'d'.repeat(64)}.com`, 'invalid domain'],
      ['with an underscore in the domain', 'ada@my_company.com', 'invalid domain'],
      ['with a numeric TLD', 'ada@example.123', 'invalid domain'],
      ['with an IPv4 address as domain', 'ada@192.0.2.1', 'invalid domain'],
      ['with a hexadecimal IPv4 as domain', 'ada@0x7f.1', 'invalid domain'],
      ['with invalid punycode', 'ada@xn--zz.com', 'invalid domain'],
      ['with a path after the domain', 'ada@example.com/evil.org', 'invalid domain'],
      ['with a query after the domain', 'ada@example.com?x=1', 'invalid domain'],
      ['with a fragment after the domain', 'ada@example.com#top', 'invalid domain'],
      ['with a percent-encoded domain', 'ada@example%2ecom', 'invalid domain'],
      [
        'of 255 characters',
        `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
        'too long',
      ],
      [
        'of 255 characters, with a valid local part',
        `ada@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(55)}.com`,
        'too long',
      ],
    ])('should reject an address %s', (_, input, problem) =>
      expect(checkEmail(input)).toEqual({ ok: false, problem }),
    );

    it('should accept 254 characters in all', () => {
      const address = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
      expect(address).toHaveLength(254);
      expect(checkEmail(address)).toEqual({ ok: true, email: normalised(address) });
    });

    it('should count the length once the IDN domain is in punycode', () => {
      const address = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'ü'.repeat(53)}.de`;
      expect(address.length).toBeLessThanOrEqual(254);
      expect(checkEmail(address)).toEqual({ ok: false, problem: 'too long' });
    });
  });

  describe('When given any RFC 5322 address', () => {
    const anyAddress = fc.emailAddress().filter((address) => address.length <= 254);

    it('should accept it, and give what it gives again when given its own result', () =>
      fc.assert(
        fc.property(anyAddress, (input) => {
          const first = checkEmail(input);
          expect(first.ok).toBe(true);
          if (!first.ok) return;
          expect(checkEmail(first.email.address)).toEqual(first);
          expect(checkEmail(first.email.key)).toEqual({
            ok: true,
            email: normalised(first.email.key),
          });
        }),
      ));

    it('should give the upper-cased address the same key', () =>
      fc.assert(
        fc.property(anyAddress, (input) => {
          const lower = checkEmail(input);
          const upper = checkEmail(input.toUpperCase());
          expect(upper.ok && lower.ok && upper.email.key === lower.email.key).toBe(true);
        }),
      ));

    it('should keep the local part as given', () =>
      fc.assert(
        fc.property(anyAddress, (input) => {
          const result = checkEmail(input);
          const local = input.slice(0, input.lastIndexOf('@'));
          expect(result.ok && result.email.address.startsWith(`${local}@`)).toBe(true);
        }),
      ));
  });
  describe('When the domain is plain ASCII', () => {
    // Such domains skip the URL parser; whatever they are, the result must be what it gives.
    const label = fc.stringMatching(/^(?:0x)?[a-z0-9-]{1,8}$/);
    const domain = fc
      .array(label, { minLength: 1, maxLength: 4 })
      .map((labels) => labels.join('.'));
    const viaUrl = (host: string): string => {
      try {
        return new URL(`http://${host}`).hostname;
      } catch {
        return '';
      }
    };

    it('should accept it only as the URL parser reads it', () =>
      fc.assert(
        fc.property(domain, (host) => {
          const result = checkEmail(`ada@${host}`);
          if (result.ok) expect(result.email.address).toBe(`ada@${viaUrl(host)}`);
        }),
        { numRuns: 2000 },
      ));
  });
  describe('When the local part is printable ASCII', () => {
    // Such addresses are checked with ASCII patterns; these are the general ones they stand for.
    const ATOM = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+$/u;
    const FORBIDDEN = /[\s\p{Cc}\p{Cf}\p{Z},;:()<>[\]\\"]/u;

    it('should judge it as the general patterns do', () =>
      fc.assert(
        fc.property(fc.stringMatching(/^[\x21-\x3f\x41-\x7e]{1,30}$/), (local) => {
          const expected = FORBIDDEN.test(local)
            ? 'invalid characters'
            : local.split('.').every((atom) => ATOM.test(atom))
              ? 'ok'
              : 'invalid local part';
          const result = checkEmail(`${local}@example.com`);
          expect(result.ok ? 'ok' : result.problem).toBe(expected);
        }),
        { numRuns: 3000 },
      ));
  });
});
