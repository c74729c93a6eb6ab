export type EventStoreErrorCode =
  | 'WRONG_EXPECTED_REVISION'
  | 'IDEMPOTENCY_MISMATCH'
  | 'INVALID_STREAM_ID'
  | 'INVALID_EVENT'
  /** `appendMany` names the same stream twice in one call. */
  | 'DUPLICATE_STREAM'
  | 'STORE_UNAVAILABLE';

export class EventStoreError extends Error {
  constructor(
    readonly code: EventStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventStoreError';
  }
}

/** The stream is not at the revision the writer expected: someone else wrote first. */
export class WrongExpectedRevisionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: bigint | 'no_stream',
  ) {
    super(
      'WRONG_EXPECTED_REVISION',
      `Stream ${streamId}: expected revision ${expected}, actual ${actual === 'no_stream' ? 'no stream' : actual.toString()}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}
