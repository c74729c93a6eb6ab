import { randomBytes, randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  MessageHeaderError,
  VERP_PREFIX,
  buildMessageHeaders,
  parseVerpAddress,
  verpAddress,
  verpToken,
} from './message-headers.js';

const ids = () => ({
  tenantId: randomUUID(),
  campaignId: randomUUID(),
  messageId: randomUUID(),
  recipientId: randomUUID(),
});

const options = (overrides: Partial<Parameters<typeof buildMessageHeaders>[1]> = {}) => ({
  unsubscribeUrl: 'https://mail.example.com/unsubscribe/eyJ2IjoxfQ.c2ln',
  unsubscribeMailto: 'unsubscribe@bounces.example.com',
  bounceDomain: 'bounces.example.com',
  verpKey: randomBytes(32),
  feedbackSenderId: 'mp1',
  ...overrides,
});

describe('Message headers', () => {
  describe('When a campaign message is built', () => {
    it('should carry one-click unsubscribe, Feedback-ID, our ids and a VERP sender', () => {
      const message = ids();
      const opts = options();
      const built = buildMessageHeaders(message, opts);
      const token = verpToken(message.messageId, opts.verpKey);

      expect(built.headers).toEqual({
        'Message-ID': `<${message.messageId}@bounces.example.com>`,
        'List-Unsubscribe':
          '<https://mail.example.com/unsubscribe/eyJ2IjoxfQ.c2ln>, ' +
          `<mailto:unsubscribe@bounces.example.com?subject=unsubscribe%20${token}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Feedback-ID': `${message.campaignId}:${message.tenantId}:mailpackr:mp1`,
        'X-MailPackr-Message': message.messageId,
      });
      expect(built.messageIdHeader).toBe(`<${message.messageId}@bounces.example.com>`);
      expect(built.envelopeFrom).toBe(`bounces+${token}@bounces.example.com`);
    });

    it('should use the Message-ID domain when one is given', () => {
      const message = ids();
      const built = buildMessageHeaders(message, options({ messageIdDomain: 'Mail.Example.org' }));
      expect(built.messageIdHeader).toBe(`<${message.messageId}@mail.example.org>`);
    });

    it('should put no personal data in any header: the recipient only ever appears in To', () => {
      // The header builder is never given the address; nothing it returns may hold it or the
      // recipient id, and the VERP local part stays within the 64 characters of RFC 5321.
      const message = ids();
      const built = buildMessageHeaders(message, options());
      const everything = [built.envelopeFrom, ...Object.values(built.headers)].join('\n');
      expect(everything).not.toContain(message.recipientId);
      expect(built.envelopeFrom.split('@')[0]!.length).toBeLessThanOrEqual(64);
    });

    it('should refuse values that could break a header', () => {
      expect(() => buildMessageHeaders({ ...ids(), campaignId: 'a:b' }, options())).toThrow(
        MessageHeaderError,
      );
      expect(() =>
        buildMessageHeaders(ids(), options({ feedbackSenderId: 'x\r\nBcc: a@b.c' })),
      ).toThrow(MessageHeaderError);
      expect(() => buildMessageHeaders(ids(), options({ bounceDomain: 'not a domain' }))).toThrow(
        MessageHeaderError,
      );
      expect(() => buildMessageHeaders(ids(), options({ unsubscribeMailto: 'a>b@c' }))).toThrow(
        MessageHeaderError,
      );
      expect(() =>
        buildMessageHeaders(ids(), options({ unsubscribeUrl: 'javascript:alert(1)' })),
      ).toThrow(MessageHeaderError);
      expect(() => buildMessageHeaders({ ...ids(), messageId: 'not-a-uuid' }, options())).toThrow(
        expect.objectContaining({ code: 'INVALID_MESSAGE_ID' }),
      );
    });
  });

  describe('When a bounce comes back to a VERP address', () => {
    const key = randomBytes(32);
    const messageId = randomUUID();
    const address = verpAddress(messageId, key, 'bounces.example.com');

    it('should name the message, in any case and with angle brackets', () => {
      expect(parseVerpAddress(address, key)).toBe(messageId);
      expect(parseVerpAddress(`<${address.toUpperCase()}>`, key, 'bounces.example.com')).toBe(
        messageId,
      );
    });

    it('should refuse a forged, altered or foreign address', () => {
      const token = address.slice(VERP_PREFIX.length, address.indexOf('@'));
      const flipped = `${token.slice(0, 5)}${token[5] === 'a' ? 'b' : 'a'}${token.slice(6)}`;
      expect(parseVerpAddress(`${VERP_PREFIX}${flipped}@bounces.example.com`, key)).toBeUndefined();
      expect(parseVerpAddress(address, randomBytes(32))).toBeUndefined();
      expect(parseVerpAddress(address, key, 'other.example')).toBeUndefined();
      expect(parseVerpAddress(address.replace(VERP_PREFIX, 'bounce+'), key)).toBeUndefined();
      expect(parseVerpAddress(`${VERP_PREFIX}${token}x@bounces.example.com`, key)).toBeUndefined();
      expect(parseVerpAddress('ada@example.org', key)).toBeUndefined();
      expect(parseVerpAddress(undefined, key)).toBeUndefined();
      expect(parseVerpAddress('x'.repeat(10_000), key)).toBeUndefined();
    });

    it('should give every message its own token', () => {
      const tokens = new Set(Array.from({ length: 1000 }, () => verpToken(randomUUID(), key)));
      expect(tokens.size).toBe(1000);
    });
  });
});
