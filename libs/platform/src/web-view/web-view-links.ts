import { SignedTokens } from '../audience/signed-token.js';

/** What a web-view link stands for: ids only. */
export interface WebViewClaims {
  v: 1;
  /** Tenant. */
  t: string;
  /** Message. */
  m: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** As long as the unsubscribe link in the same mail. */
export const WEB_VIEW_LINK_VALIDITY_DAYS = 730;

/**
 * "View in your browser" links: `<public url>/view/<token>`, the token an HMAC-signed pair of ids
 * (key derived from the KEK for this purpose only). Message ids are derived from campaign and
 * recipient ids, so they are not secret: only a signed token opens a message, which holds the
 * recipient's personal data.
 */
export class WebViewLinks {
  readonly #tokens: SignedTokens<WebViewClaims>;

  constructor(
    key: Buffer,
    private readonly publicUrl: string,
  ) {
    this.#tokens = new SignedTokens(key);
  }

  url(target: { tenantId: string; messageId: string }, now: Date): string {
    const exp = Math.floor(now.getTime() / 1000) + WEB_VIEW_LINK_VALIDITY_DAYS * 86_400;
    return `${this.publicUrl}/view/${this.#tokens.sign({ v: 1, t: target.tenantId, m: target.messageId, exp })}`;
  }

  /** The claims of an intact, unexpired token of this kind; undefined for anything else. */
  verify(token: unknown, now: Date): WebViewClaims | undefined {
    const claims = this.#tokens.verify(token, now);
    if (!claims || claims.v !== 1 || typeof claims.t !== 'string' || typeof claims.m !== 'string') {
      return undefined;
    }
    return claims;
  }
}
