import { createHmac } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  parseSignatureHeader,
  signWebhookPayload,
  verifyWebhookSignature,
  webhookSignatureHeader,
} from './webhook-signature.js';

// fixtures (above the tests: `it.each` tables read them when the file loads)
const SECRET = 'whsec-test-0123456789abcdefghijklmnopqrstuv';
const OTHER_SECRET = 'whsec-other-0123456789abcdefghijklmnopqrstu';
const NOW = new Date('2025-03-01T12:00:00.750Z');
const T = Math.floor(NOW.getTime() / 1000);
const BODY = JSON.stringify({
  events: [{ id: 'evt_1', type: 'bounce', messageId: 'x', bounce: { kind: 'hard' } }],
});
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const refused = (reason: string) => ({ ok: false, reason });
const check = (header: string | undefined, body = BODY) =>
  verifyWebhookSignature({ header, secret: SECRET, rawBody: Buffer.from(body), now: NOW });

describe('Webhook signature', () => {
  describe('When a body is signed', () => {
    it('should be the hex HMAC-SHA256 of "<t>.<raw body>" with the secret', () => {
      const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
      expect(signWebhookPayload(SECRET, T, Buffer.from(BODY))).toBe(expected);
      expect(webhookSignatureHeader(SECRET, BODY, NOW)).toBe(`t=${T},v1=${expected}`);
    });
  });

  describe('When a signed call is verified', () => {
    it('should accept the signature of these exact bytes', () =>
      expect(check(webhookSignatureHeader(SECRET, BODY, NOW))).toEqual({ ok: true, timestamp: T }));

    it('should accept any of several v1 signatures (a secret being rotated), in any case', () => {
      const good = signWebhookPayload(SECRET, T, BODY).toUpperCase();
      const old = signWebhookPayload(OTHER_SECRET, T, BODY);
      expect(check(`t=${T}, v1=${old}, v1=${good}`)).toEqual({ ok: true, timestamp: T });
      expect(check(`v0=abc,v1=${good},t=${T}`)).toEqual({ ok: true, timestamp: T });
    });

    it('should refuse a body changed by one byte, or whitespace re-serialised', () => {
      const header = webhookSignatureHeader(SECRET, BODY, NOW);
      expect(check(header, BODY.replace('hard', 'soft'))).toEqual(refused('mismatch'));
      expect(check(header, JSON.stringify(JSON.parse(BODY), null, 2))).toEqual(refused('mismatch'));
    });

    it('should refuse a signature made with another secret', () =>
      expect(check(webhookSignatureHeader(OTHER_SECRET, BODY, NOW))).toEqual(refused('mismatch')));

    it('should refuse a signature whose timestamp was changed', () => {
      const v1 = signWebhookPayload(SECRET, T, BODY);
      expect(check(`t=${T + 1},v1=${v1}`)).toEqual(refused('mismatch'));
    });

    it('should accept a timestamp up to 300 s off either way, and call one further stale', () => {
      for (const skew of [-300, 300]) {
        expect(check(webhookSignatureHeader(SECRET, BODY, at(skew)))).toMatchObject({ ok: true });
      }
      for (const skew of [-301, 301, -86_400]) {
        expect(check(webhookSignatureHeader(SECRET, BODY, at(skew)))).toEqual(refused('stale'));
      }
    });

    it('should call a forged signature with an old timestamp a mismatch, not stale', () =>
      expect(check(`t=${T - 3600},v1=${'0'.repeat(64)}`)).toEqual(refused('mismatch')));

    it('should refuse a missing header', () => {
      expect(check(undefined)).toEqual(refused('missing'));
      expect(check('')).toEqual(refused('missing'));
    });

    it.each([
      ['no v1', `t=${T}`],
      ['no t', `v1=${'a'.repeat(64)}`],
      ['two t', `t=${T},t=${T},v1=${'a'.repeat(64)}`],
      ['a short v1', `t=${T},v1=abc`],
      ['a non-hex v1', `t=${T},v1=${'z'.repeat(64)}`],
      ['a t that is no number', `t=soon,v1=${'a'.repeat(64)}`],
      ['a part without =', `t=${T},v1`],
      [
        'too many v1',
        `t=${T},${Array.from({ length: 11 }, () => `v1=${'a'.repeat(64)}`).join(',')}`,
      ],
    ])('should refuse a malformed header (%s)', (_name, header) =>
      expect(check(header)).toEqual(refused('malformed')),
    );

    it('should refuse the header sent twice', () =>
      expect(
        verifyWebhookSignature({
          header: ['a', 'b'],
          secret: SECRET,
          rawBody: Buffer.from(BODY),
          now: NOW,
        }),
      ).toEqual(refused('malformed')));
  });

  describe('When a header is parsed', () => {
    it('should give the timestamp and the v1 values, lower case', () =>
      expect(parseSignatureHeader(`t=${T},v1=${'AB'.repeat(32)}`)).toEqual({
        timestamp: T,
        signatures: ['ab'.repeat(32)],
      }));
  });
});
