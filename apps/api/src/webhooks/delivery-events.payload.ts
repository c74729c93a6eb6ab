import { BOUNCE_KINDS, type BounceKind, isUuid } from '#domain';
import { classifyBounce } from '#platform';

/** Events in one webhook call, at most. */
export const MAX_EVENTS_PER_CALL = 500;
export const MAX_EVENT_ID_LENGTH = 200;
export const MAX_DIAGNOSTIC_LENGTH = 1000;
const MAX_FEEDBACK_TYPE_LENGTH = 40;

/** One event of a call, validated and normalised. */
export type DeliveryEvent =
  | {
      id: string;
      type: 'bounce';
      messageId: string;
      occurredAt: Date | null;
      bounce: { kind: BounceKind; status: string | null; diagnostic: string | null };
    }
  | {
      id: string;
      type: 'complaint';
      messageId: string;
      occurredAt: Date | null;
      complaint: { feedbackType: string };
    };

export type PayloadCheck =
  { ok: true; events: DeliveryEvent[] } | { ok: false; message: string; path: string };

class InvalidPayload extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** RFC 3463 enhanced status of a failure: class 4 (persistent transient) or 5 (permanent). */
const FAILURE_STATUS = /^[45]\.\d{1,3}\.\d{1,3}$/;
const FEEDBACK_TYPE = /^[a-z0-9][a-z0-9._-]*$/i;
/** ISO 8601 date and time with a zone (`2025-01-01T10:00:00Z`, `…+02:00`, fractions allowed). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const CONTROL = /[\u0000-\u001f\u007f]/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Reads the body of a delivery-events call, strictly: the documented fields only (an unknown
 * field anywhere is refused, so nothing else, personal data included, slips in unnoticed), each
 * of its type and within its limits. The first problem is reported with its path
 * (`$.events[2].bounce.status`). Optional fields may be absent or null. A bounce without a
 * `kind` is classified from its status and diagnostic (`classifyBounce`).
 */
export const parseDeliveryEvents = (body: unknown): PayloadCheck => {
  try {
    return { ok: true, events: readBody(body) };
  } catch (error) {
    if (error instanceof InvalidPayload) {
      return { ok: false, message: error.message, path: error.path };
    }
    throw error;
  }
};

const readBody = (body: unknown): DeliveryEvent[] => {
  const root = object(body, '$', ['events']);
  const events = root.events;
  if (!Array.isArray(events)) throw new InvalidPayload('events must be an array', '$.events');
  if (events.length === 0 || events.length > MAX_EVENTS_PER_CALL) {
    throw new InvalidPayload(
      `events must hold 1 to ${MAX_EVENTS_PER_CALL} events (got ${events.length})`,
      '$.events',
    );
  }
  return events.map((event, index) => readEvent(event, `$.events[${index}]`));
};

const readEvent = (value: unknown, path: string): DeliveryEvent => {
  const event = object(value, path, [
    'id',
    'type',
    'messageId',
    'occurredAt',
    'bounce',
    'complaint',
  ]);
  const id = event.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) {
    throw new InvalidPayload(
      `id must be a string of 1 to ${MAX_EVENT_ID_LENGTH} characters`,
      `${path}.id`,
    );
  }
  if (CONTROL.test(id)) {
    throw new InvalidPayload('id must not hold control characters', `${path}.id`);
  }
  const messageId = event.messageId;
  if (!isUuid(messageId)) {
    throw new InvalidPayload(
      'messageId must be a UUID (the X-MailPackr-Message header of the mail)',
      `${path}.messageId`,
    );
  }
  const occurredAt = readDate(event.occurredAt, `${path}.occurredAt`);
  const base = { id, messageId: messageId.toLowerCase(), occurredAt };
  switch (event.type) {
    case 'bounce': {
      if (!absent(event.complaint)) {
        throw new InvalidPayload('a bounce event has no complaint', `${path}.complaint`);
      }
      if (absent(event.bounce)) {
        throw new InvalidPayload('a bounce event needs a bounce object', `${path}.bounce`);
      }
      return { ...base, type: 'bounce', bounce: readBounce(event.bounce, `${path}.bounce`) };
    }
    case 'complaint': {
      if (!absent(event.bounce)) {
        throw new InvalidPayload('a complaint event has no bounce', `${path}.bounce`);
      }
      return {
        ...base,
        type: 'complaint',
        complaint: readComplaint(event.complaint, `${path}.complaint`),
      };
    }
    default:
      throw new InvalidPayload('type must be bounce or complaint', `${path}.type`);
  }
};

const readBounce = (
  value: unknown,
  path: string,
): { kind: BounceKind; status: string | null; diagnostic: string | null } => {
  const bounce = object(value, path, ['kind', 'status', 'diagnostic']);
  const status = optionalString(bounce.status, `${path}.status`);
  if (status !== null && !FAILURE_STATUS.test(status)) {
    throw new InvalidPayload(
      'status must be an RFC 3463 enhanced status code of a failure, like 5.1.1 or 4.2.2',
      `${path}.status`,
    );
  }
  const diagnostic = optionalString(bounce.diagnostic, `${path}.diagnostic`);
  if (diagnostic !== null && diagnostic.length > MAX_DIAGNOSTIC_LENGTH) {
    throw new InvalidPayload(
      `diagnostic must be at most ${MAX_DIAGNOSTIC_LENGTH} characters`,
      `${path}.diagnostic`,
    );
  }
  let kind: BounceKind;
  if (absent(bounce.kind)) {
    kind = classifyBounce(status, diagnostic);
  } else if (BOUNCE_KINDS.includes(bounce.kind as BounceKind)) {
    kind = bounce.kind as BounceKind;
  } else {
    throw new InvalidPayload(`kind must be one of ${BOUNCE_KINDS.join(', ')}`, `${path}.kind`);
  }
  return { kind, status, diagnostic };
};

const readComplaint = (value: unknown, path: string): { feedbackType: string } => {
  if (absent(value)) return { feedbackType: 'abuse' };
  const complaint = object(value, path, ['feedbackType']);
  const feedbackType = optionalString(complaint.feedbackType, `${path}.feedbackType`);
  if (feedbackType === null) return { feedbackType: 'abuse' };
  if (feedbackType.length > MAX_FEEDBACK_TYPE_LENGTH || !FEEDBACK_TYPE.test(feedbackType)) {
    throw new InvalidPayload(
      `feedbackType must be a token of up to ${MAX_FEEDBACK_TYPE_LENGTH} letters, digits, '.', '_' or '-', like abuse`,
      `${path}.feedbackType`,
    );
  }
  return { feedbackType: feedbackType.toLowerCase() };
};

const readDate = (value: unknown, path: string): Date | null => {
  if (absent(value)) return null;
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new InvalidPayload(
      'must be an ISO 8601 date and time with a zone, like 2025-01-01T10:00:00Z',
      path,
    );
  }
  return date;
};

const absent = (value: unknown): value is null | undefined => value === undefined || value === null;

const optionalString = (value: unknown, path: string): string | null => {
  if (absent(value)) return null;
  if (typeof value !== 'string') throw new InvalidPayload('must be a string', path);
  return value;
};

/** A JSON object with no keys but the allowed ones. */
const object = (
  value: unknown,
  path: string,
  allowed: readonly string[],
): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidPayload('must be an object', path);
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    // The key is the sender's text: echoed only when it is a plain identifier.
    const named = PLAIN_KEY.test(key);
    throw new InvalidPayload(
      `unknown field${named ? ` ${key}` : ''}; allowed: ${allowed.join(', ')}`,
      named ? `${path}.${key}` : path,
    );
  }
  return value as Record<string, unknown>;
};
