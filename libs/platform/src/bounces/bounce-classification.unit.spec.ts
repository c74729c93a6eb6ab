import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { type BounceKind, classifyBounce, enhancedStatusIn } from './bounce-classification.js';

/** Anything that could make a diagnostic hard by its wording (broader than the classifier's list). */
const HARD_WORDING = /unknown|no\s+such|disabled|inactive|deactivated|exist/i;

const detail = fc.integer({ min: 0, max: 999 });
/** A detail written with leading zeros, up to RFC 3463's three digits (`7`, `07`, `007`). */
const padded = fc
  .tuple(detail, fc.integer({ min: 1, max: 3 }))
  .map(([code, width]) => String(code).padStart(width, '0'));
const anyDiagnostic = fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: null });

describe('Bounce classification', () => {
  describe('When the status is read', () => {
    const cases: ReadonlyArray<[string, string | null, string | null, BounceKind]> = [
      ['bad mailbox', '5.1.1', null, 'hard'],
      ['bad mailbox with padding and leading zeros', ' 5.01.001 ', null, 'hard'],
      ['bad destination system', '5.1.2', 'smtp; 550 Host unknown', 'hard'],
      ['null MX (RFC 7505)', '5.1.10', null, 'hard'],
      ['a trailing comment', '5.1.1 (bad destination mailbox address)', null, 'hard'],
      ['mailbox disabled', '5.2.1', 'smtp; 550 5.2.1 mailbox disabled', 'hard'],
      ['mailbox full, permanent', '5.2.2', 'smtp; 552 5.2.2 Mailbox full', 'soft'],
      ['message too big', '5.3.4', null, 'soft'],
      ['routing loop', '5.4.6', null, 'soft'],
      ['mailbox full, temporary', '4.2.2', 'smtp; 452 4.2.2 Mailbox full', 'soft'],
      ['temporary, whatever the text', '4.1.1', 'smtp; 450 4.1.1 user unknown', 'soft'],
      ['greylisting', '4.7.1', 'smtp; 450 4.7.1 Greylisted', 'soft'],
      [
        'spam block',
        '5.7.1',
        'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
        'blocked',
      ],
      ['DMARC rejection', '5.7.26', 'smtp; 550 5.7.26 Unauthenticated email', 'blocked'],
      ['a policy block that mentions the user', '5.7.1', 'smtp; 550 5.7.1 user unknown', 'blocked'],
      ["bad sender's address syntax", '5.1.7', null, 'blocked'],
      ["bad sender's system address", '5.1.8', null, 'blocked'],
      [
        'a generic status refined by the diagnostic',
        '5.0.0',
        'smtp; 550 5.1.1 <x@y>: User unknown',
        'hard',
      ],
      [
        'a generic status refined to a block',
        '5.0.0',
        'smtp; 550 5.7.1 rejected as spam',
        'blocked',
      ],
      ['a generic status with wording only', '5.0.0', 'X-Postfix; unknown user: "alice"', 'hard'],
      ['a generic status and nothing else', '5.0.0', 'smtp; 550 Unrouteable address', 'soft'],
      [
        'another permanent status with hard wording',
        '5.5.0',
        'smtp; 550 No such user here',
        'hard',
      ],
      ['a success code, whatever the text', '2.0.0', 'user unknown', 'soft'],
    ];

    it.each(cases)('should classify %s', (_name, status, diagnostic, expected) => {
      expect(classifyBounce(status, diagnostic)).toBe(expected);
    });
  });

  describe('When there is no readable status', () => {
    const cases: ReadonlyArray<[string, string | null, string | null, BounceKind]> = [
      ['nothing at all', null, null, 'soft'],
      ['an unreadable status and no diagnostic', 'failed', null, 'soft'],
      ['a code in the diagnostic', null, 'smtp; 550 5.1.1 <x@y.example>: user unknown', 'hard'],
      ['a block code in the diagnostic', 'garbage', 'smtp; 554 5.7.1 Message refused', 'blocked'],
      ['a temporary code in the diagnostic', null, 'smtp; 421 4.4.2 timeout', 'soft'],
      [
        "Gmail's disabled account",
        null,
        'The email account that you tried to reach is disabled.',
        'hard',
      ],
      [
        "Gmail's unknown account",
        null,
        'The email account that you tried to reach does not exist.',
        'hard',
      ],
      ['a deactivated mailbox', null, 'smtp; 550 Mailbox has been deactivated', 'hard'],
      ['an account that is gone', null, 'smtp; 550 This account no longer exists', 'hard'],
      ['no such user', null, 'smtp; 550 No such user (alice@example.org)', 'hard'],
      ['an unknown user', null, 'smtp; 550 Unknown user', 'hard'],
      ['the sender, not the recipient', null, 'smtp; 553 Sender address does not exist', 'soft'],
      [
        'an IP address that looks like a code',
        null,
        'host 10.45.1.12 said: 550 mailbox full',
        'soft',
      ],
      ['a blocklist without a code', null, 'smtp; 554 blocked using spamhaus', 'soft'],
      ['an empty diagnostic', '', '', 'soft'],
    ];

    it.each(cases)('should classify %s', (_name, status, diagnostic, expected) => {
      expect(classifyBounce(status, diagnostic)).toBe(expected);
    });

    it('should call any 4.x.y soft', () => {
      fc.assert(
        fc.property(detail, detail, anyDiagnostic, (subject, code, diagnostic) => {
          expect(classifyBounce(`4.${subject}.${code}`, diagnostic)).toBe('soft');
        }),
        { numRuns: 200 },
      );
    });

    it("should call any 5.1.y hard, but for the sender's own 5.1.7 and 5.1.8", () => {
      fc.assert(
        fc.property(
          detail.filter((code) => code !== 7 && code !== 8),
          anyDiagnostic,
          (code, diagnostic) => {
            expect(classifyBounce(`5.1.${code}`, diagnostic)).toBe('hard');
          },
        ),
        { numRuns: 200 },
      );
    });

    it('should call any 5.7.y blocked, however it is written', () => {
      fc.assert(
        fc.property(
          padded,
          fc.constantFrom('', ' ', '\t'),
          anyDiagnostic,
          (code, space, diagnostic) => {
            expect(classifyBounce(`${space}5.07.${code}${space}`, diagnostic)).toBe('blocked');
          },
        ),
        { numRuns: 200 },
      );
    });

    it('should call anything without a code or hard wording soft', () => {
      const noCode = fc
        .option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: null })
        .filter(
          (text) => text === null || (enhancedStatusIn(text) === null && !HARD_WORDING.test(text)),
        );
      fc.assert(
        fc.property(noCode, noCode, (status, diagnostic) => {
          expect(classifyBounce(status, diagnostic)).toBe('soft');
        }),
        { numRuns: 300 },
      );
    });

    it('should never throw, whatever it is given', () => {
      const anything = fc.oneof(
        fc.constant(null),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.stringMatching(/^\s*[245]\.\d{1,4}\.\d{1,4}.{0,20}$/),
        fc.string({ unit: 'grapheme', maxLength: 50 }),
      );
      fc.assert(
        fc.property(anything, anything, (status, diagnostic) => {
          expect(['hard', 'soft', 'blocked']).toContain(classifyBounce(status, diagnostic));
        }),
        { numRuns: 300 },
      );
      const huge = `${'550 user '.repeat(200_000)}unknown`;
      expect(() => classifyBounce(huge, huge)).not.toThrow();
      expect(classifyBounce(undefined as unknown as null, 42 as unknown as null)).toBe('soft');
    });
  });

  describe('When an enhanced status code is looked for in a text', () => {
    it.each([
      ['smtp; 550 5.1.1 <x@y>: user unknown', '5.1.1'],
      [' 5.01.001 ', '5.1.1'],
      ['452-4.2.2 Mailbox full', '4.2.2'],
      ['Status: 2.0.0 (delivered)', '2.0.0'],
      ['ends a sentence 5.7.1.', '5.7.1'],
      ['host 10.45.1.12 said: 550 4.7.28 later', '4.7.28'],
      ['version 2.5.1.1 only', null],
      ['5.1 incomplete', null],
      ['5.1234.1 too many digits', null],
      ['3.1.1 wrong class', null],
      ['', null],
    ] as const)('should read %j', (text, expected) => {
      expect(enhancedStatusIn(text)).toBe(expected);
    });
  });
});
