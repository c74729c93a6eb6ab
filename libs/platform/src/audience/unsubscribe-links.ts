import { SignedTokens } from './signed-token.js';

/** What a one-click unsubscribe link stands for: ids only, never personal data. */
export interface UnsubscribeClaims {
  v: 1;
  /** Tenant. */
  t: string;
  /** Recipient. */
  r: string;
  /** The list the mail went to; null: every list (and the address is suppressed). */
  l: string | null;
  /** The campaign, when the link is in a campaign's mail (for reporting). */
  c?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/**
 * Links stay valid this long after the mail was sent: old mail must keep unsubscribing (CAN-SPAM
 * asks for 30 days at least; people find old newsletters much later).
 */
export const UNSUBSCRIBE_LINK_VALIDITY_DAYS = 730;

/**
 * One-click unsubscribe links (RFC 8058): `<public url>/unsubscribe/<token>`, where the token is an
 * HMAC-signed set of ids (`SignedTokens`, key derived from the KEK for this purpose only). A
 * forged or altered token does not verify; nothing in it is personal data.
 */
export class UnsubscribeLinks {
  readonly #tokens: SignedTokens<UnsubscribeClaims>;

  constructor(
    key: Buffer,
    private readonly publicUrl: string,
  ) {
    this.#tokens = new SignedTokens(key);
  }

  url(
    target: { tenantId: string; recipientId: string; listId: string | null; campaignId?: string },
    now: Date,
  ): string {
    const exp = Math.floor(now.getTime() / 1000) + UNSUBSCRIBE_LINK_VALIDITY_DAYS * 86_400;
    const token = this.#tokens.sign({
      v: 1,
      t: target.tenantId,
      r: target.recipientId,
      l: target.listId,
      ...(target.campaignId ? { c: target.campaignId } : {}),
      exp,
    });
    return `${this.publicUrl}/unsubscribe/${token}`;
  }

  /** The claims of an intact, unexpired token of this kind; undefined for anything else. */
  verify(token: unknown, now: Date): UnsubscribeClaims | undefined {
    const claims = this.#tokens.verify(token, now);
    if (
      !claims ||
      claims.v !== 1 ||
      typeof claims.t !== 'string' ||
      typeof claims.r !== 'string' ||
      (claims.l !== null && typeof claims.l !== 'string')
    ) {
      return undefined;
    }
    return claims;
  }
}
