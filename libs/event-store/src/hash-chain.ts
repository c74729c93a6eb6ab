import { createHash } from 'node:crypto';

/** The hash of an empty stream's head: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');

/**
 * Digest of one event's stored bytes: its id, stream, type, data and metadata exactly as stored
 * (ciphertext included), each text length-prefixed so no two events can share a digest input.
 * Computed by the writer, recomputed from the stored bytes by auditors.
 */
export const eventContentDigest = (input: {
  eventId: string;
  streamId: string;
  type: string;
  dataText: string;
  metadataText: string;
}): Buffer => {
  const hash = createHash('sha256').update(uuidBytes(input.eventId));
  for (const text of [input.streamId, input.type, input.dataText, input.metadataText]) {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest();
};

/** The chain link: `sha256(previous hash ‖ revision as int8 ‖ content digest)`. Mirrors `mp_append`. */
export const chainHash = (
  previousHash: Buffer,
  revision: bigint,
  contentDigest: Buffer,
): Buffer => {
  const revisionBytes = Buffer.alloc(8);
  revisionBytes.writeBigInt64BE(revision);
  return sha256(Buffer.concat([previousHash, revisionBytes, contentDigest]));
};

/**
 * The tamper-evidence hash of one stored event, chained to the previous event of its stream.
 * It covers the bytes as stored, so crypto-shredding a key never breaks the chain.
 */
export const eventHash = (input: {
  previousHash: Buffer;
  eventId: string;
  streamId: string;
  revision: bigint;
  type: string;
  dataText: string;
  metadataText: string;
}): Buffer => chainHash(input.previousHash, input.revision, eventContentDigest(input));
