export * from './privacy.errors.js';
export {
  type KeyEncryptionKey,
  type LoadKeyEncryptionKeyOptions,
  KEK_BYTES,
  LocalKeyEncryptionKey,
  generateKeyEncryptionKeyBase64,
  loadKeyEncryptionKey,
} from './key-encryption-key.js';
export { type EncryptedField, ERASED, isEncryptedField } from './encrypted-field.js';
export { BLIND_INDEX_INFO, BlindIndexer } from './blind-indexer.js';
export {
  type DecryptRequest,
  type PersonalDataVaultOptions,
  type ShredResult,
  PersonalDataVault,
} from './personal-data.vault.js';
export {
  type PersonalDataCipher,
  type PersonalDataMap,
  type PersonalDataSpec,
  type SealedField,
  PersonalDataCodec,
  isSealedField,
} from './personal-data.codec.js';
export { VAULT_SCHEMA_SQL } from './vault.schema.js';
export {
  ERASURE_PURGED_READ_MODELS,
  canonicalJson,
  erasureReceiptOf,
  isErasureReceiptIntact,
  type ErasureFacts,
  type ErasureReceipt,
} from './erasure-receipt.js';
