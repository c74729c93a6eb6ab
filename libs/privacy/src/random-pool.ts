import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 64 * 1024;

/**
 * Random bytes from the operating system's CSPRNG, drawn in 64 KiB refills instead of one system
 * call per IV or key: a bulk import encrypts hundreds of thousands of fields, and a `randomBytes`
 * call per field cost more than the encryption itself. Every byte is handed out once.
 */
class RandomPool {
  #pool = Buffer.alloc(0);
  #offset = 0;

  /** `n` fresh random bytes in a new buffer (never shared with another caller). */
  take(n: number): Buffer {
    if (n > POOL_BYTES) return randomFillSync(Buffer.alloc(n));
    if (this.#offset + n > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      this.#offset = 0;
    }
    const bytes = Buffer.from(this.#pool.subarray(this.#offset, this.#offset + n));
    this.#pool.fill(0, this.#offset, this.#offset + n);
    this.#offset += n;
    return bytes;
  }
}

export const randomPool = new RandomPool();
