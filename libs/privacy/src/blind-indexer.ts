import { createHmac, hkdfSync } from 'node:crypto';

import type { KeyEncryptionKey } from './key-encryption-key.js';
import { PrivacyError } from './privacy.errors.js';

export const BLIND_INDEX_INFO = 'mailpackr-blind-index';
const MAX_CACHED_TENANTS = 10_000;

/**
 * Keyed HMAC-SHA256 of a value, per tenant, so lookups and suppression ("never mail this address
 * again") work without storing plaintext or an unkeyed hash that could be brute-forced.
 * The key comes from the KEK through HKDF: losing or replacing the KEK changes every index.
 * Callers normalise the value first (e.g. trim and lowercase an email address).
 */
export class BlindIndexer {
  readonly #baseKey: Buffer;
  readonly #tenantKeys = new Map<string, Buffer>();

  constructor(kek: KeyEncryptionKey) {
    this.#baseKey = kek.deriveKey(BLIND_INDEX_INFO);
  }

  index(tenantId: string, value: string): string {
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw new PrivacyError('INVALID_ARGUMENT', 'a blind index needs a tenant id');
    }
    if (typeof value !== 'string') {
      throw new PrivacyError('INVALID_ARGUMENT', 'a blind index is computed over a string');
    }
    return createHmac('sha256', this.#tenantKey(tenantId)).update(value, 'utf8').digest('hex');
  }

  #tenantKey(tenantId: string): Buffer {
    let key = this.#tenantKeys.get(tenantId);
    if (!key) {
      key = Buffer.from(
        hkdfSync('sha256', this.#baseKey, Buffer.alloc(0), `tenant:${tenantId}`, 32),
      );
      if (this.#tenantKeys.size >= MAX_CACHED_TENANTS) this.#tenantKeys.clear();
      this.#tenantKeys.set(tenantId, key);
    }
    return key;
  }
}
