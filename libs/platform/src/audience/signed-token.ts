import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Opaque, tamper-proof tokens for links that work without a login (double opt-in confirmation,
 * one-click unsubscribe): base64url JSON claims, a dot, and an HMAC-SHA256 over them with a key
 * derived from the KEK for that purpose. Claims hold ids and an expiry only, never personal data.
 */
export class SignedTokens<Claims extends { exp: number }> {
  constructor(private readonly key: Buffer) {}

  sign(claims: Claims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The claims of an intact, unexpired token; undefined for anything else (forged, altered, old). */
  verify(token: unknown, now: Date): Claims | undefined {
    if (typeof token !== 'string' || token.length > 2048) return undefined;
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 < now.getTime()) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  /** Decodes the claims without checking expiry (to tell "expired" from "forged"); MAC checked. */
  inspect(token: unknown): Claims | undefined {
    return this.verify(token, new Date(0));
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
