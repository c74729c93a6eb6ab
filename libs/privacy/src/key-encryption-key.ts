import {
  type KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';

import { PrivacyError } from './privacy.errors.js';
import { randomPool } from './random-pool.js';

/**
 * Wraps (encrypts) the per-subject data keys. The local implementation holds a 256-bit key from
 * config or a key file; a KMS can sit behind the same interface later.
 */
export interface KeyEncryptionKey {
  /** A fingerprint of the key, safe to store and print. Never the key itself. */
  readonly id: string;
  wrap(dataKey: Buffer): Promise<Buffer>;
  /** Throws `PrivacyError('KEY_UNWRAP_FAILED')` when `wrapped` was not made by this key or was altered. */
  unwrap(wrapped: Buffer): Promise<Buffer>;
  /** 32 bytes of key material for another purpose (blind indexes…), independent of the key itself. */
  deriveKey(info: string): Buffer;
}

export const KEK_BYTES = 32;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_VERSION = 0x01;
const WRAP_AAD = Buffer.from('mailpackr-kek-wrap-v1', 'utf8');
const HKDF_SALT = createHash('sha256').update('mailpackr-kdf-v1').digest();

/** AES-256-GCM key wrapping with a local 32-byte key. Wrapped format: version | iv | ciphertext | tag. */
export class LocalKeyEncryptionKey implements KeyEncryptionKey {
  /** A key object, made once: a raw Buffer would be made into one on every cipher call. */
  readonly #key: KeyObject;
  readonly id: string;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== KEK_BYTES) {
      throw new PrivacyError(
        'KEK_INVALID',
        `a key-encryption key must be exactly ${KEK_BYTES} bytes`,
      );
    }
    this.#key = createSecretKey(key); // a copy: the caller's buffer stays the caller's
    this.id = createHmac('sha256', this.#key).update('mailpackr-kek-id').digest('hex').slice(0, 16);
  }

  /** A fresh random key, e.g. for tests or `mailpackr keys generate`. */
  static generate(): LocalKeyEncryptionKey {
    return new LocalKeyEncryptionKey(randomBytes(KEK_BYTES));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- implements the async port; async turns throws into rejections
  async wrap(dataKey: Buffer): Promise<Buffer> {
    const iv = randomPool.take(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(WRAP_AAD);
    // GCM is a stream mode: the ciphertext is as long as the key, and `final` adds nothing.
    const body = cipher.update(dataKey);
    cipher.final();
    const wrapped = Buffer.allocUnsafe(1 + IV_BYTES + body.length + TAG_BYTES);
    wrapped[0] = WRAP_VERSION;
    iv.copy(wrapped, 1);
    body.copy(wrapped, 1 + IV_BYTES);
    cipher.getAuthTag().copy(wrapped, 1 + IV_BYTES + body.length);
    return wrapped;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- implements the async port; async turns throws into rejections
  async unwrap(wrapped: Buffer): Promise<Buffer> {
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) {
      throw new PrivacyError('KEY_UNWRAP_FAILED', 'the wrapped key has an unknown format');
    }
    const iv = wrapped.subarray(1, 1 + IV_BYTES);
    const body = wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(WRAP_AAD);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new PrivacyError(
        'KEY_UNWRAP_FAILED',
        'the wrapped key was not made by this key-encryption key, or it was altered',
      );
    }
  }

  deriveKey(info: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, HKDF_SALT, info, 32));
  }

  /** Key material never leaves through JSON or console output. */
  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return `LocalKeyEncryptionKey { id: '${this.id}' }`;
  }
}

/** A new key as base64, the format `loadKeyEncryptionKey` reads from config and key files. */
export const generateKeyEncryptionKeyBase64 = (): string =>
  randomBytes(KEK_BYTES).toString('base64');

export interface LoadKeyEncryptionKeyOptions {
  /** The key inline, as base64 of 32 bytes (e.g. from a secret store through config). */
  base64?: string;
  /** Path of a key file holding base64 of 32 bytes plus an optional trailing newline. */
  file?: string;
  /** Create the key file (mode 0600) with a fresh random key when it does not exist. */
  createIfMissing: boolean;
}

/** Inline base64 or a key file; exactly one must be configured. Errors never print key material. */
export const loadKeyEncryptionKey = async (
  options: LoadKeyEncryptionKeyOptions,
): Promise<LocalKeyEncryptionKey> => {
  const inline = options.base64?.trim() ?? '';
  const file = options.file?.trim() ?? '';
  if (inline !== '' && file !== '') {
    throw new PrivacyError(
      'KEK_INVALID',
      'configure the key-encryption key either inline (base64) or as a key file, not both',
    );
  }
  if (inline !== '') {
    const parsed = parseKeyBase64(inline);
    if (typeof parsed === 'string') {
      throw new PrivacyError('KEK_INVALID', `the configured key-encryption key ${parsed}`);
    }
    return new LocalKeyEncryptionKey(parsed);
  }
  if (file !== '') return readKeyFile(file, options.createIfMissing);
  throw new PrivacyError(
    'KEK_INVALID',
    'no key-encryption key configured: give it inline as base64 or as a key file',
  );
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The key, or why the text is not one. The reason never quotes the text. */
const parseKeyBase64 = (text: string): Buffer | string => {
  if (!BASE64.test(text)) return 'is not valid base64';
  const key = Buffer.from(text, 'base64');
  if (key.toString('base64') !== text) return 'is not valid base64';
  if (key.length !== KEK_BYTES) {
    return `decodes to ${key.length} bytes, expected ${KEK_BYTES}`;
  }
  return key;
};

const errorCode = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'unknown error';

const readKeyFile = async (
  path: string,
  createIfMissing: boolean,
): Promise<LocalKeyEncryptionKey> => {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') {
      throw new PrivacyError(
        'KEK_FILE_CORRUPT',
        `the key file ${path} exists but cannot be read (${errorCode(error)})`,
      );
    }
    if (!createIfMissing) {
      throw new PrivacyError(
        'KEK_FILE_MISSING',
        `the key file ${path} does not exist and creating it is not allowed`,
      );
    }
    await createKeyFile(path);
    return readKeyFile(path, false);
  }
  const parsed = parseKeyBase64(text.trim());
  if (typeof parsed === 'string') {
    throw new PrivacyError(
      'KEK_FILE_CORRUPT',
      `the key file ${path} does not hold a key-encryption key: its content ${parsed}`,
    );
  }
  return new LocalKeyEncryptionKey(parsed);
};

/**
 * Writes a fresh key to a private temporary file, then links it into place: the link fails if
 * another process created the file first, so concurrent starts agree on one key, and no reader
 * ever sees a half-written file.
 */
const createKeyFile = async (path: string): Promise<void> => {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(`${generateKeyEncryptionKeyBase64()}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(temporary, path);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') {
      throw new PrivacyError(
        'KEK_FILE_MISSING',
        `the key file ${path} does not exist and cannot be created (${errorCode(error)})`,
      );
    }
  } finally {
    await fs.unlink(temporary).catch(() => undefined);
  }
};
