import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { UnsubscribeLinks } from '../audience/unsubscribe-links.js';
import { WEB_VIEW_LINK_VALIDITY_DAYS, WebViewLinks } from './web-view-links.js';

describe('Web-view links', () => {
  const now = new Date('2026-11-29T10:00:00.000Z');
  const key = randomBytes(32);
  const links = new WebViewLinks(key, 'https://mail.example.com/mp');
  const target = { tenantId: 't-1', messageId: 'm-1' };
  const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

  describe('When a link is made for a message', () => {
    it('should point at <public url>/view/<token> and carry ids only', () => {
      const url = links.url(target, now);
      expect(url.startsWith('https://mail.example.com/mp/view/')).toBe(true);
      expect(links.verify(tokenOf(url), now)).toMatchObject({ v: 1, t: 't-1', m: 'm-1' });
    });

    it('should keep working for the validity period, and not after', () => {
      const token = tokenOf(links.url(target, now));
      const day = 86_400_000;
      const before = new Date(now.getTime() + WEB_VIEW_LINK_VALIDITY_DAYS * day - 1000);
      expect(links.verify(token, before)).toBeDefined();
      const after = new Date(now.getTime() + (WEB_VIEW_LINK_VALIDITY_DAYS + 1) * day);
      expect(links.verify(token, after)).toBeUndefined();
    });
  });

  describe('When a token was not made by these links', () => {
    it('should refuse one signed with another key, altered, or of another kind', () => {
      const token = tokenOf(links.url(target, now));
      expect(
        new WebViewLinks(randomBytes(32), 'https://x.example').verify(token, now),
      ).toBeUndefined();
      const [body, mac] = token.split('.') as [string, string];
      expect(links.verify(`${body}x.${mac}`, now)).toBeUndefined();
      expect(links.verify(`${body}.${mac.slice(0, -2)}`, now)).toBeUndefined();
      // An unsubscribe token, even under the same key, is not a web-view token.
      const unsubscribe = new UnsubscribeLinks(key, 'https://x.example').url(
        { tenantId: 't-1', recipientId: 'r-1', listId: null },
        now,
      );
      expect(links.verify(tokenOf(unsubscribe), now)).toBeUndefined();
      for (const junk of [undefined, '', 'a.b', 'x'.repeat(5000)]) {
        expect(links.verify(junk, now)).toBeUndefined();
      }
    });
  });
});
