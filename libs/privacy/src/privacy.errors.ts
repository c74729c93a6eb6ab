/**
 * Every error the personal-data vault throws on purpose. Messages never carry key material or
 * plaintext; subject ids are random UUIDs and carry no personal data, so they may appear.
 */
export type PrivacyErrorCode =
  /** The key-encryption key in the configuration is not base64 of exactly 32 bytes (or is missing). */
  | 'KEK_INVALID'
  /** The key file exists but cannot be read or does not hold base64 of exactly 32 bytes. */
  | 'KEK_FILE_CORRUPT'
  /** No key file and `createIfMissing` is false. */
  | 'KEK_FILE_MISSING'
  /** The key-encryption key is not the one the stored data keys were wrapped with. */
  | 'KEK_MISMATCH'
  /** A stored data key could not be unwrapped (tampered row or wrong key-encryption key). */
  | 'KEY_UNWRAP_FAILED'
  /** The subject was erased: no new personal data may be written for it. */
  | 'SUBJECT_ERASED'
  /** The subject's key belongs to another tenant. */
  | 'SUBJECT_TENANT_MISMATCH'
  /** The event names personal fields but its subject id is missing or not a non-empty string. */
  | 'SUBJECT_ID_MISSING'
  /** The ciphertext was tampered with, truncated, or moved to another subject or field. */
  | 'CIPHERTEXT_INVALID'
  /** A caller passed an argument the vault cannot use (empty id, non-string plaintext…). */
  | 'INVALID_ARGUMENT';

export class PrivacyError<Code extends PrivacyErrorCode = PrivacyErrorCode> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = 'PrivacyError';
  }
}

export const isPrivacyError = (error: unknown): error is PrivacyError =>
  error instanceof PrivacyError;
