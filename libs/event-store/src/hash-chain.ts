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

/** One stored event as an auditor sees it: the stored texts and the stored chain fields. */
export interface StoredLink {
  streamId: string;
  revision: bigint;
  eventId: string;
  type: string;
  dataText: string;
  metadataText: string;
  previousHash: Buffer;
  hash: Buffer;
}

export interface BrokenLink {
  streamId: string;
  revision: bigint;
  reason: string;
}

/**
 * Walks stored events (in stream order per stream, any interleaving of streams) and checks that
 * each one links to the previous event of its stream and that its hash matches its stored bytes.
 * `headBefore` loads the stored hash of the event before the first one seen of a stream.
 */
export class ChainChecker {
  private readonly heads = new Map<string, { revision: bigint; hash: Buffer | undefined }>();
  checked = 0;

  constructor(
    private readonly headBefore: (
      streamId: string,
      revision: bigint,
    ) => Promise<{ revision: bigint; hash: Buffer | undefined }>,
  ) {}

  async check(event: StoredLink): Promise<BrokenLink | undefined> {
    this.checked++;
    const head =
      this.heads.get(event.streamId) ??
      (event.revision === 0n
        ? { revision: -1n, hash: GENESIS_HASH }
        : await this.headBefore(event.streamId, event.revision - 1n));
    const broken = (reason: string): BrokenLink => ({
      streamId: event.streamId,
      revision: event.revision,
      reason,
    });
    if (head.revision !== event.revision - 1n)
      return broken('a previous event of the stream is missing');
    if (!head.hash?.equals(event.previousHash))
      return broken('link to the previous event does not match');
    const expected = eventHash({ ...event, previousHash: head.hash });
    if (!expected.equals(event.hash)) return broken('stored bytes do not match the hash');
    this.heads.set(event.streamId, { revision: event.revision, hash: expected });
    return undefined;
  }
}
