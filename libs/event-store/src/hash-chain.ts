import { createHash, hash } from 'node:crypto';

/** The hash of an empty stream's head: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');

/**
 * Digest of one event's stored bytes: its id, stream, type, data and metadata exactly as stored
 * (ciphertext included), each text length-prefixed so no two events can share a digest input.
 * Computed by the writer, recomputed from the stored bytes by auditors.
 *
 * Input: the 16 id bytes, then for each text its UTF-8 length (uint32 BE) and its UTF-8 bytes.
 * Written into one reused buffer and hashed in one call: bulk writers compute thousands a call.
 */
export const eventContentDigest = (input: {
  eventId: string;
  streamId: string;
  type: string;
  dataText: string;
  metadataText: string;
}): Buffer => {
  const { streamId, type, dataText, metadataText } = input;
  const hex = input.eventId.replace(/-/g, '');
  // At most 3 UTF-8 bytes per UTF-16 code unit.
  const room =
    16 + 16 + 3 * (streamId.length + type.length + dataText.length + metadataText.length);
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, 2 * scratch.length));
  // Not a UUID (never from our adapters, which check ids first): the byte-for-byte slow path.
  if (hex.length !== 32 || scratch.write(hex, 0, 16, 'hex') !== 16) return digestSlowly(input);
  let offset = 16;
  for (const text of [streamId, type, dataText, metadataText]) {
    const length = scratch.write(text, offset + 4, 'utf8');
    scratch.writeUInt32BE(length, offset);
    offset += 4 + length;
  }
  return hash('sha256', scratch.subarray(0, offset), 'buffer');
};

/** Reused by `eventContentDigest` (synchronous, so never shared by two calls at once). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The same digest, one piece at a time; also hashes ids that are not exactly 16 bytes of hex. */
const digestSlowly = (input: {
  eventId: string;
  streamId: string;
  type: string;
  dataText: string;
  metadataText: string;
}): Buffer => {
  const digest = createHash('sha256').update(uuidBytes(input.eventId));
  for (const text of [input.streamId, input.type, input.dataText, input.metadataText]) {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    digest.update(length).update(bytes);
  }
  return digest.digest();
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
