import { EventStoreError } from './event-store.errors.js';
import type { EventToAppend, ExpectedRevision } from './event-store.port.js';

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
