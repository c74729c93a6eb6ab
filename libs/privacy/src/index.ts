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
  PersonalDataCodec,
} from './personal-data.codec.js';
export { VAULT_SCHEMA_SQL } from './vault.schema.js';
