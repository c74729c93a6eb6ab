import { EventStoreError } from './event-store.errors.js';
import type { AppendRequest, EventToAppend, ExpectedRevision } from './event-store.port.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `<category>-<id>`; no `$` prefix, so our streams can never be EventStoreDB system streams. */
export const STREAM_ID = /^[A-Za-z][A-Za-z0-9_]*(-[A-Za-z0-9_.:-]+)?$/;

/** One event as every adapter stores it: the exact texts the hash chain covers. */
export interface SerializedEvent {
  eventId: string;
  type: string;
  dataText: string;
  metadataText: string;
}

/** The checks every adapter makes before an append; throws a typed error, writes nothing. */
export const validateAppend = (
  streamId: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
): void => {
  if (!STREAM_ID.test(streamId)) {
    throw new EventStoreError(
      'INVALID_STREAM_ID',
      `Invalid stream id: ${JSON.stringify(streamId)}`,
    );
  }
  if (events.length === 0) throw new EventStoreError('INVALID_EVENT', 'Nothing to append');
  if (typeof expected === 'bigint' && expected < 0n) {
    throw new EventStoreError('INVALID_EVENT', 'expectedRevision must be >= 0');
  }
};

/** Validates one event and serialises its data and metadata (`schemaVersion` and `timestamp` filled in). */
export const serializeEvent = (event: EventToAppend, now: string): SerializedEvent => {
  if (!UUID.test(event.eventId)) {
    throw new EventStoreError('INVALID_EVENT', `Event id must be a UUID: ${event.eventId}`);
  }
  if (!event.type) throw new EventStoreError('INVALID_EVENT', 'Event type is required');
  const dataText = JSON.stringify(event.data ?? null) as string | undefined;
  if (dataText === undefined) {
    throw new EventStoreError('INVALID_EVENT', `Event data is not JSON: ${event.eventId}`);
  }
  const metadataText = JSON.stringify({
    schemaVersion: 1,
    ...event.metadata,
    timestamp: event.metadata?.timestamp ?? now,
  });
  return { eventId: event.eventId.toLowerCase(), type: event.type, dataText, metadataText };
};

/** One request of an `appendMany` call, checked and serialised. */
export interface PreparedRequest {
  streamId: string;
  expected: ExpectedRevision;
  events: SerializedEvent[];
}

/**
 * The checks every adapter makes before an `appendMany`, all before any IO: each request as in
 * `append`, each stream at most once, each event id at most once in the whole call.
 */
export const prepareAppendMany = (
  requests: readonly AppendRequest[],
  now: string,
): PreparedRequest[] => {
  const streams = new Set<string>();
  const eventIds = new Set<string>();
  return requests.map(({ streamId, events, expectedRevision }) => {
    const expected = expectedRevision ?? 'any';
    validateAppend(streamId, events, expected);
    if (streams.has(streamId)) {
      throw new EventStoreError(
        'DUPLICATE_STREAM',
        `Stream ${streamId} appears more than once in one appendMany call: merge its events into one request`,
      );
    }
    streams.add(streamId);
    const serialized = events.map((event) => serializeEvent(event, now));
    for (const { eventId } of serialized) {
      if (eventIds.has(eventId)) {
        throw new EventStoreError(
          'INVALID_EVENT',
          `Event id appears twice in one call: ${eventId}`,
        );
      }
      eventIds.add(eventId);
    }
    return { streamId, expected, events: serialized };
  });
};
