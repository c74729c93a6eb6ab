import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { UNSUBSCRIBE_LINK_VALIDITY_DAYS, UnsubscribeLinks } from './unsubscribe-links.js';

describe('Unsubscribe links', () => {
  const now = new Date('2026-11-29T10:00:00.000Z');
  const links = new UnsubscribeLinks(randomBytes(32), 'https://mail.example.com/mp');
  const target = { tenantId: 't-1', recipientId: 'r-1', listId: 'l-1', campaignId: 'c-1' };
  const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

  it('should point at <public url>/unsubscribe/<token> and carry ids only', () => {
    const url = links.url(target, now);
    expect(url.startsWith('https://mail.example.com/mp/unsubscribe/')).toBe(true);
    expect(links.verify(tokenOf(url), now)).toMatchObject({
      v: 1,
      t: 't-1',
      r: 'r-1',
      l: 'l-1',
      c: 'c-1',
    });
  });

  it('should keep working for the validity period, and not after', () => {
    const token = tokenOf(links.url({ ...target, listId: null }, now));
    const day = 86_400_000;
    const justBefore = new Date(now.getTime() + UNSUBSCRIBE_LINK_VALIDITY_DAYS * day - 1000);
    expect(links.verify(token, justBefore)).toMatchObject({ l: null });
    const after = new Date(now.getTime() + (UNSUBSCRIBE_LINK_VALIDITY_DAYS + 1) * day);
    expect(links.verify(token, after)).toBeUndefined();
  });

  it('should refuse a token signed with another key, altered, or of another kind', () => {
    const token = tokenOf(links.url(target, now));
    const other = new UnsubscribeLinks(randomBytes(32), 'https://x.example');
    expect(other.verify(token, now)).toBeUndefined();
    const [body, mac] = token.split('.') as [string, string];
    expect(links.verify(`${body}x.${mac}`, now)).toBeUndefined();
    expect(links.verify(`${body}.${mac.slice(0, -2)}`, now)).toBeUndefined();
    expect(links.verify(undefined, now)).toBeUndefined();
    expect(links.verify('a'.repeat(5000), now)).toBeUndefined();
  });
});
