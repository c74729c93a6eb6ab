import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid, isValidDate, utf8ByteLength } from '../core/validation.js';
import { checkEmail } from './email-address.js';
import type {
  AddRecipient,
  ConfirmOptIn,
  CorrectRecipient,
  EmailInput,
  EraseRecipient,
  ImportRecipient,
  LiftRestriction,
  ObjectToProcessing,
  RecipientCommand,
  RequestOptIn,
  RestrictRecipient,
  SubscribeRecipient,
  UnsubscribeRecipient,
} from './recipient.commands.js';
import { RecipientError } from './recipient.errors.js';
import type {
  ConsentEvidence,
  ConsentSource,
  ErasureBasis,
  RecipientAttributes,
  RecipientCorrected,
  RecipientEvent,
} from './recipient.events.js';
import type { ActiveRecipient, Recipient } from './recipient.state.js';

export const RECIPIENT_LIMITS = {
  nameMaxLength: 200,
  attributesMaxCount: 50,
  attributeKeyMaxLength: 100,
  attributeValueMaxLength: 2000,
  attributesMaxBytes: 16 * 1024,
  referenceMaxLength: 100,
  listsPerCommandMax: 20,
} as const;

export const CONSENT_SOURCES: readonly ConsentSource[] = ['import', 'api', 'form'];
export const ERASURE_BASES: readonly ErasureBasis[] = [
  'gdpr_art17',
  'ccpa_delete',
  'tenant_request',
  'child_under_13',
  'retention',
];

export const decideRecipient = (command: RecipientCommand, state: Recipient): RecipientEvent[] => {
  switch (command.type) {
    case 'AddRecipient':
      return add(command, state);
    case 'ImportRecipient':
      return importRow(command, state);
    case 'CorrectRecipient':
      return correct(command, state);
    case 'SubscribeRecipient':
      return subscribe(command, state);
    case 'RequestOptIn':
      return requestOptIn(command, state);
    case 'ConfirmOptIn':
      return confirmOptIn(command, state);
    case 'UnsubscribeRecipient':
      return unsubscribe(command, state);
    case 'RestrictRecipient':
      return restrict(command, state);
    case 'LiftRestriction':
      return liftRestriction(command, state);
    case 'ObjectToProcessing':
      return object(command, state);
    case 'EraseRecipient':
      return erase(command, state);
    default:
      return assertNever(command, 'Unknown recipient command');
  }
};

const add = ({ data, metadata: { now } }: AddRecipient, state: Recipient): RecipientEvent[] => {
  if (state.status === 'Erased') throw erased();
  if (state.status === 'Active') throw new RecipientError('RECIPIENT_ALREADY_EXISTS');
  const email = validEmail(data.email);
  const listIds = [...new Set(data.listIds ?? [])];
  if (listIds.length > RECIPIENT_LIMITS.listsPerCommandMax) {
    throw new RecipientError(
      'INVALID_CONSENT',
      `At most ${RECIPIENT_LIMITS.listsPerCommandMax} lists at once`,
    );
  }
  const consent = validConsent({ ...data.consent, source: data.source }, now);
  return [
    {
      type: 'RecipientAdded',
      data: {
        recipientId: data.recipientId,
        tenantId: data.tenantId,
        email: email.address,
        emailIndex: email.index,
        name: validName(data.name),
        attributes: validAttributes(data.attributes ?? {}),
        source: data.source,
        addedAt: now.toISOString(),
        ...(listIds.length > 0 ? { listIds, consent } : {}),
      },
    },
  ];
};

const importRow = (
  { data, metadata: { now } }: ImportRecipient,
  state: Recipient,
): RecipientEvent[] => {
  const at = now.toISOString();
  const consent: ConsentEvidence = { source: 'import', collectedAt: at };
  if (state.status === 'Empty') {
    const email = validEmail(data.email);
    return [
      {
        type: 'RecipientAdded',
        data: {
          recipientId: data.recipientId,
          tenantId: data.tenantId,
          email: email.address,
          emailIndex: email.index,
          name: validName(data.name),
          attributes: validAttributes(data.attributes),
          source: 'import',
          addedAt: at,
          listIds: [data.listId],
          consent,
        },
      },
    ];
  }
  const subscribed: RecipientEvent = {
    type: 'RecipientSubscribed',
    data: {
      recipientId: data.recipientId,
      tenantId: data.tenantId,
      listId: data.listId,
      consent,
      subscribedAt: at,
    },
  };
  const recipient = active(state, data.tenantId);
  if (recipient.emailIndex !== data.email.index) {
    throw new RecipientError('RECIPIENT_EMAIL_TAKEN', 'This recipient id holds another address');
  }
  if (recipient.objected) throw new RecipientError('RECIPIENT_OBJECTED');
  if (recipient.unsubscribedAll) throw new RecipientError('RECIPIENT_SUPPRESSED');
  if (recipient.restricted) throw new RecipientError('RECIPIENT_RESTRICTED');
  const name = validName(data.name);
  // The row on its own first: spreading `null` or an array would slip through the merge.
  const attributes = validAttributes({
    ...recipient.attributes,
    ...validAttributes(data.attributes),
  });
  const events: RecipientEvent[] = [];
  const correction = changes(recipient, {
    name: name === null ? undefined : name,
    attributes,
  });
  if (correction) events.push(corrected(recipient, correction, at));
  if (!recipient.memberships[data.listId]) events.push(subscribed);
  return events;
};

const correct = (
  { data, metadata: { now } }: CorrectRecipient,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = active(state, data.tenantId);
  const email = data.email === undefined ? undefined : validEmail(data.email);
  const correction = changes(recipient, {
    email,
    name: data.name === undefined ? undefined : validName(data.name),
    attributes: data.attributes === undefined ? undefined : validAttributes(data.attributes),
  });
  return correction ? [corrected(recipient, correction, now.toISOString())] : [];
};

type Correction = {
  -readonly [
    K in Exclude<keyof RecipientCorrected['data'], 'recipientId' | 'tenantId' | 'correctedAt'>
  ]?: RecipientCorrected['data'][K];
};

/** Only what actually differs; undefined when nothing does. */
const changes = (
  recipient: ActiveRecipient,
  wanted: { email?: EmailInput; name?: string | null; attributes?: RecipientAttributes },
): Correction | undefined => {
  const correction: Correction = {};
  if (wanted.email && wanted.email.address !== recipient.email) {
    correction.email = wanted.email.address;
    if (wanted.email.index !== recipient.emailIndex) correction.emailIndex = wanted.email.index;
  }
  if (wanted.name !== undefined && wanted.name !== recipient.name) correction.name = wanted.name;
  if (wanted.attributes && !sameAttributes(wanted.attributes, recipient.attributes)) {
    correction.attributes = wanted.attributes;
  }
  return Object.keys(correction).length > 0 ? correction : undefined;
};

const corrected = (
  recipient: ActiveRecipient,
  correction: Correction,
  at: string,
): RecipientEvent => ({
  type: 'RecipientCorrected',
  data: {
    recipientId: recipient.recipientId,
    tenantId: recipient.tenantId,
    ...correction,
    correctedAt: at,
  },
});

const subscribe = (
  { data, metadata: { now } }: SubscribeRecipient,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = mayBeContacted(active(state, data.tenantId));
  const consent = validConsent(data.consent, now);
  const membership = recipient.memberships[data.listId];
  if (membership?.status === 'subscribed') return [];
  if (membership?.status === 'unsubscribed' && consent.source !== 'form') {
    throw new RecipientError(
      'ALREADY_UNSUBSCRIBED',
      'The recipient left this list: only the person can rejoin it (a form or double opt-in)',
    );
  }
  return [
    {
      type: 'RecipientSubscribed',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        listId: data.listId,
        consent,
        subscribedAt: now.toISOString(),
      },
    },
  ];
};

const requestOptIn = (
  { data, metadata: { now } }: RequestOptIn,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = mayBeContacted(active(state, data.tenantId));
  const consent = validConsent(data.consent, now);
  if (!isValidDate(data.expiresAt) || data.expiresAt <= now) {
    throw new RecipientError('INVALID_CONSENT', 'An opt-in request must expire in the future');
  }
  if (recipient.memberships[data.listId]?.status === 'subscribed') return [];
  return [
    {
      type: 'OptInRequested',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        listId: data.listId,
        requestId: data.requestId,
        consent,
        requestedAt: now.toISOString(),
        expiresAt: data.expiresAt.toISOString(),
      },
    },
  ];
};

const confirmOptIn = (
  { data, metadata: { now } }: ConfirmOptIn,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = mayBeContacted(active(state, data.tenantId));
  const membership = recipient.memberships[data.listId];
  if (membership?.status === 'subscribed' && membership.confirmedAt) return [];
  if (membership?.status !== 'pending' || membership.optIn?.requestId !== data.requestId) {
    throw new RecipientError('OPT_IN_NOT_PENDING', 'No open opt-in request matches this token');
  }
  if (now.getTime() > Date.parse(membership.optIn.expiresAt)) {
    throw new RecipientError('OPT_IN_EXPIRED', 'The opt-in request has expired');
  }
  return [
    {
      type: 'OptInConfirmed',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        listId: data.listId,
        requestId: data.requestId,
        confirmedAt: now.toISOString(),
        ...(data.ipAddress === undefined ? {} : { ipAddress: validIp(data.ipAddress) }),
      },
    },
  ];
};

const unsubscribe = (
  { data, metadata: { now } }: UnsubscribeRecipient,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = active(state, data.tenantId);
  const listId = data.listId ?? null;
  if (listId === null) {
    if (recipient.unsubscribedAll) return [];
  } else {
    const membership = recipient.memberships[listId];
    if (!membership) throw new RecipientError('NOT_SUBSCRIBED');
    if (membership.status === 'unsubscribed') return [];
  }
  return [
    {
      type: 'RecipientUnsubscribed',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        listId,
        channel: data.channel,
        ...(data.messageId && isUuid(data.messageId) ? { messageId: data.messageId } : {}),
        emailIndex: recipient.emailIndex,
        unsubscribedAt: now.toISOString(),
      },
    },
  ];
};

const restrict = (
  { data, metadata: { now } }: RestrictRecipient,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = active(state, data.tenantId);
  if (recipient.restricted) return [];
  return [
    {
      type: 'RecipientRestricted',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        requestId: data.requestId,
        restrictedAt: now.toISOString(),
      },
    },
  ];
};

const liftRestriction = (
  { data, metadata: { now } }: LiftRestriction,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = active(state, data.tenantId);
  if (!recipient.restricted) return [];
  return [
    {
      type: 'RecipientRestrictionLifted',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        requestId: data.requestId,
        liftedAt: now.toISOString(),
      },
    },
  ];
};

const object = (
  { data, metadata: { now } }: ObjectToProcessing,
  state: Recipient,
): RecipientEvent[] => {
  const recipient = active(state, data.tenantId);
  if (recipient.objected) return [];
  return [
    {
      type: 'RecipientObjected',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        requestId: data.requestId,
        objectedAt: now.toISOString(),
      },
    },
  ];
};

const erase = ({ data, metadata: { now } }: EraseRecipient, state: Recipient): RecipientEvent[] => {
  if (state.status === 'Erased' && state.tenantId === data.tenantId) return [];
  const recipient = active(state, data.tenantId);
  if (!ERASURE_BASES.includes(data.basis)) {
    throw new RecipientError('INVALID_LEGAL_BASIS', `Unknown legal basis: ${String(data.basis)}`);
  }
  return [
    {
      type: 'RecipientErased',
      data: {
        recipientId: recipient.recipientId,
        tenantId: recipient.tenantId,
        requestId: data.requestId,
        basis: data.basis,
        requestedBy: data.requestedBy,
        reference: validReference(data.reference),
        erasedAt: now.toISOString(),
        emailIndex: recipient.emailIndex,
        historyEvents: recipient.eventCount + 1,
        membershipsRemoved: Object.keys(recipient.memberships).length,
      },
    },
  ];
};

// ── State guards ───────────────────────────────────────────────────────────────────────────────

const erased = () =>
  new RecipientError('RECIPIENT_ERASED', 'This recipient was erased: nothing can be done with it');

/** A recipient of another tenant does not exist, as far as this tenant can tell. */
const active = (state: Recipient, tenantId: string): ActiveRecipient => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new RecipientError('RECIPIENT_NOT_FOUND');
  }
  if (state.status === 'Erased') throw erased();
  return state;
};

const mayBeContacted = (recipient: ActiveRecipient): ActiveRecipient => {
  if (recipient.objected) {
    throw new RecipientError('RECIPIENT_OBJECTED', 'The recipient objected to processing');
  }
  if (recipient.unsubscribedAll) {
    throw new RecipientError('RECIPIENT_SUPPRESSED', 'The recipient left every list');
  }
  if (recipient.restricted) {
    throw new RecipientError(
      'RECIPIENT_RESTRICTED',
      'Processing of this recipient is restricted: lift the restriction first',
    );
  }
  return recipient;
};

// ── Validation: returns the normalised value or throws a typed error ───────────────────────────

const HEX_INDEX = /^[0-9a-f]{64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const REFERENCE = /^[A-Za-z0-9._:#/-]+$/;
/** IPv4 dotted quad (no leading zeros) and IPv6 in any RFC 4291 text form, without a zone id. */
const IPV4_PART = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = `(?:${IPV4_PART}\\.){3}${IPV4_PART}`;
const H16 = '[0-9a-fA-F]{1,4}';
const IPV4_ADDRESS = new RegExp(`^${IPV4}$`);
const IPV6_ADDRESS = new RegExp(
  '^(?:' +
    [
      `(?:${H16}:){7}(?:${H16}|:)`,
      `(?:${H16}:){6}(?:${IPV4}|:${H16}|:)`,
      `(?:${H16}:){5}(?::${IPV4}|(?::${H16}){1,2}|:)`,
      `(?:${H16}:){4}(?:(?::${H16}){0,1}:${IPV4}|(?::${H16}){1,3}|:)`,
      `(?:${H16}:){3}(?:(?::${H16}){0,2}:${IPV4}|(?::${H16}){1,4}|:)`,
      `(?:${H16}:){2}(?:(?::${H16}){0,3}:${IPV4}|(?::${H16}){1,5}|:)`,
      `(?:${H16}:){1}(?:(?::${H16}){0,4}:${IPV4}|(?::${H16}){1,6}|:)`,
      `(?::(?:(?::${H16}){0,5}:${IPV4}|(?::${H16}){1,7}|:))`,
    ].join('|') +
    ')$',
);

const validEmail = (email: EmailInput): EmailInput => {
  const checked = checkEmail(email?.address);
  if (!checked.ok) throw new RecipientError('INVALID_EMAIL', `Invalid email: ${checked.problem}`);
  if (typeof email.index !== 'string' || !HEX_INDEX.test(email.index)) {
    throw new RecipientError('INVALID_EMAIL', 'The email index must be a keyed HMAC (64 hex)');
  }
  return { address: checked.email.address, index: email.index };
};

const validName = (name: unknown): string | null => {
  if (name === undefined || name === null) return null;
  const trimmed = typeof name === 'string' ? name.trim() : undefined;
  if (
    trimmed === undefined ||
    trimmed.length > RECIPIENT_LIMITS.nameMaxLength ||
    hasLineBreak(trimmed) ||
    CONTROL.test(trimmed)
  ) {
    throw new RecipientError(
      'INVALID_RECIPIENT_NAME',
      `A name has at most ${RECIPIENT_LIMITS.nameMaxLength} characters on one line`,
    );
  }
  return trimmed === '' ? null : trimmed;
};

const validAttributes = (attributes: unknown): RecipientAttributes => {
  const invalid = (why: string) => new RecipientError('INVALID_ATTRIBUTES', why);
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw invalid('Attributes must be an object of scalar values');
  }
  const entries = Object.entries(attributes);
  if (entries.length > RECIPIENT_LIMITS.attributesMaxCount) {
    throw invalid(`At most ${RECIPIENT_LIMITS.attributesMaxCount} attributes`);
  }
  // An upper bound of the JSON's UTF-8 size (a UTF-16 unit takes at most 6 bytes, escaped; a
  // number at most 24): most attribute sets are far below the limit without serialising them.
  let bound = 2;
  for (const [key, value] of entries) {
    bound += 6 * key.length + (typeof value === 'string' ? 6 * value.length : 24) + 8;
    if (
      key.trim() === '' ||
      key.length > RECIPIENT_LIMITS.attributeKeyMaxLength ||
      CONTROL.test(key) ||
      FORBIDDEN_KEYS.has(key)
    ) {
      throw invalid(`Invalid attribute name: ${JSON.stringify(key.slice(0, 40))}`);
    }
    const ok =
      value === null ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= RECIPIENT_LIMITS.attributeValueMaxLength);
    if (!ok) throw invalid(`Attribute ${JSON.stringify(key)} must be a short scalar value`);
  }
  if (
    bound > RECIPIENT_LIMITS.attributesMaxBytes &&
    utf8ByteLength(JSON.stringify(attributes)) > RECIPIENT_LIMITS.attributesMaxBytes
  ) {
    throw invalid(`Attributes take at most ${RECIPIENT_LIMITS.attributesMaxBytes} bytes`);
  }
  const valid: RecipientAttributes = Object.fromEntries(entries);
  return valid;
};

const sameAttributes = (a: RecipientAttributes, b: RecipientAttributes): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
};

const validConsent = (
  consent: (Omit<ConsentEvidence, 'collectedAt'> & { collectedAt?: string }) | undefined,
  now: Date,
): ConsentEvidence => {
  const source = consent?.source;
  if (!source || !CONSENT_SOURCES.includes(source)) {
    throw new RecipientError(
      'INVALID_CONSENT',
      `Consent source must be one of ${CONSENT_SOURCES.join(', ')}`,
    );
  }
  const collectedAt = consent.collectedAt === undefined ? now : new Date(consent.collectedAt);
  if (!isValidDate(collectedAt) || collectedAt.getTime() > now.getTime() + 5 * 60_000) {
    throw new RecipientError('INVALID_CONSENT', 'Consent must have been collected in the past');
  }
  return {
    source,
    collectedAt: collectedAt.toISOString(),
    ...(consent.ipAddress === undefined ? {} : { ipAddress: validIp(consent.ipAddress) }),
  };
};

const validIp = (ip: unknown): string => {
  if (typeof ip !== 'string' || !(IPV4_ADDRESS.test(ip) || IPV6_ADDRESS.test(ip))) {
    throw new RecipientError('INVALID_CONSENT', 'Not an IP address');
  }
  return ip;
};

const validReference = (reference: unknown): string | null => {
  if (reference === undefined || reference === null || reference === '') return null;
  if (
    typeof reference !== 'string' ||
    reference.length > RECIPIENT_LIMITS.referenceMaxLength ||
    !REFERENCE.test(reference)
  ) {
    throw new RecipientError(
      'INVALID_REFERENCE',
      `A request reference is 1 to ${RECIPIENT_LIMITS.referenceMaxLength} characters of letters, digits and . _ : # / -`,
    );
  }
  return reference;
};
