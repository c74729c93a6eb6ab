import { createHash } from 'node:crypto';

/** The hash of an empty stream's head: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');

/**
 * The tamper-evidence hash of one stored event, chained to the previous event of its stream.
 * It covers the bytes as stored (ciphertext included), so crypto-shredding a key never breaks
 * the chain. Mirrors `mp_event_hash` in the SQL schema byte for byte.
 */
export const eventHash = (input: {
  previousHash: Buffer;
  eventId: string;
  streamId: string;
  revision: bigint;
  type: string;
  dataText: string;
  metadataText: string;
}): Buffer => {
  const revision = Buffer.alloc(8);
  revision.writeBigInt64BE(input.revision);
  return sha256(
    Buffer.concat([
      input.previousHash,
      uuidBytes(input.eventId),
      revision,
      sha256(input.streamId),
      sha256(input.type),
      sha256(input.dataText),
      sha256(input.metadataText),
    ]),
  );
};
