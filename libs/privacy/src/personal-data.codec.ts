import { type EncryptedField, ERASED, isEncryptedField } from './encrypted-field.js';
import type { PersonalDataVault } from './personal-data.vault.js';
import { PrivacyError } from './privacy.errors.js';

/** Where the personal data of one event type lives: dot paths into the event's `data`. */
export interface PersonalDataSpec {
  /** Dot path to the data subject's id (a random id, stored in clear). */
  readonly subject: string;
  /** Dot paths of the personal fields, encrypted under the subject's key. */
  readonly fields: readonly string[];
}

/** Declared once per event type, e.g. `{ RecipientAdded: { subject: 'recipientId', fields: ['email', 'name'] } }`. */
export type PersonalDataMap = Readonly<Record<string, PersonalDataSpec>>;

/** The part of the vault the codec uses. */
export type PersonalDataCipher = Pick<
  PersonalDataVault,
  'encrypt' | 'encryptCached' | 'decryptMany'
>;

interface CompiledField {
  readonly path: string;
  readonly segments: readonly string[];
  readonly context: string;
}

interface CompiledSpec {
  readonly subject: readonly string[];
  readonly fields: readonly CompiledField[];
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Encrypts and decrypts the personal fields of event data, as declared in a `PersonalDataMap`.
 * Only the listed fields are touched; the input is never mutated (objects on a field's path are
 * copied). Strings are encrypted as they are; other values as JSON (flag `j`), parsed back on
 * decryption. Erased fields read as `'[erased]'`, whatever their type was. AAD context:
 * `${eventType}.${fieldPath}`, so a ciphertext cannot be moved to another event type or field.
 */
export class PersonalDataCodec {
  readonly #vault: PersonalDataCipher;
  readonly #specs: ReadonlyMap<string, CompiledSpec>;

  constructor(vault: PersonalDataCipher, map: PersonalDataMap) {
    this.#vault = vault;
    this.#specs = new Map(
      Object.entries(map).map(([type, spec]) => [type, compileSpec(type, spec)] as const),
    );
  }

  /** Whether events of this type carry personal data. */
  hasPersonalData(type: string): boolean {
    return this.#specs.has(type);
  }

  async encryptEvent<T>(type: string, data: T, tenantId: string): Promise<T> {
    const spec = this.#specs.get(type);
    if (!spec) return data;
    const present = spec.fields
      .map((field) => ({ field, value: getPath(data, field.segments) }))
      .filter(({ value }) => value !== undefined && value !== null && !isEncryptedField(value));
    if (present.length === 0) return data;
    const subjectId = subjectOf(type, spec, data);
    const encrypted: EncryptedField[] = [];
    // One field after the other: the first one loads (or creates) the subject's key, the others
    // find it cached and encrypt without waiting (bulk writers prepare every key beforehand).
    for (const { field, value } of present) {
      const isString = typeof value === 'string';
      const plaintext = isString ? value : JSON.stringify(value);
      if (plaintext === undefined) {
        throw new PrivacyError(
          'INVALID_ARGUMENT',
          `${type}.${field.path} is not JSON-serialisable`,
        );
      }
      const sealed =
        this.#vault.encryptCached(subjectId, tenantId, plaintext, field.context) ??
        (await this.#vault.encrypt(subjectId, tenantId, plaintext, field.context));
      encrypted.push(isString ? sealed : { ...sealed, j: 1 });
    }
    return present.reduce(
      (result, { field }, index) => setPath(result, field.segments, encrypted[index]),
      data,
    );
  }

  async decryptEvent<T>(type: string, data: T): Promise<T> {
    const [decrypted] = await this.decryptEvents([{ type, data }]);
    return decrypted as T;
  }

  /** Decrypts many events with one key lookup for every subject that is not cached. */
  async decryptEvents<T>(events: ReadonlyArray<{ type: string; data: T }>): Promise<T[]> {
    const slots: Array<{ event: number; field: CompiledField; value: EncryptedField }> = [];
    events.forEach(({ type, data }, event) => {
      const spec = this.#specs.get(type);
      if (!spec) return;
      for (const field of spec.fields) {
        const value = getPath(data, field.segments);
        if (!isEncryptedField(value)) continue;
        const subjectId = getPath(data, spec.subject);
        if (typeof subjectId === 'string' && subjectId !== value.s) {
          throw new PrivacyError(
            'CIPHERTEXT_INVALID',
            `${type}.${field.path} was encrypted for another subject than the event's`,
          );
        }
        slots.push({ event, field, value });
      }
    });
    const results = events.map(({ data }) => data);
    if (slots.length === 0) return results;
    const plaintexts = await this.#vault.decryptMany(
      slots.map(({ field, value }) => ({ field: value, context: field.context })),
    );
    slots.forEach(({ event, field, value }, index) => {
      const plaintext = plaintexts[index] as string;
      const decoded =
        value.j === 1 && plaintext !== ERASED ? parseJson(plaintext, field) : plaintext;
      results[event] = setPath(results[event] as T, field.segments, decoded);
    });
    return results;
  }

  /**
   * Decrypts sealed fields (see `SealedField`) in one batch: strings as they were, JSON values
   * parsed, `[erased]` once the subject's key is gone; null and non-sealed values give null.
   */
  async decryptSealed(fields: readonly unknown[]): Promise<unknown[]> {
    const present = fields
      .map((sealed, index) => ({ sealed, index }))
      .filter((s): s is { sealed: SealedField; index: number } => isSealedField(s.sealed));
    const results: unknown[] = fields.map(() => null);
    if (present.length === 0) return results;
    const plaintexts = await this.#vault.decryptMany(
      present.map(({ sealed }) => ({ field: sealed.field, context: sealed.context })),
    );
    present.forEach(({ sealed, index }, i) => {
      const plaintext = plaintexts[i] as string;
      results[index] =
        sealed.field.j === 1 && plaintext !== ERASED
          ? parseJson(plaintext, { path: sealed.context, segments: [], context: sealed.context })
          : plaintext;
    });
    return results;
  }
}

export const isSealedField = (value: unknown): value is SealedField =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SealedField).context === 'string' &&
  isEncryptedField((value as SealedField).field);

/** A personal field kept outside its event (e.g. in a read model), with its encryption context. */
export interface SealedField {
  context: string;
  field: EncryptedField;
}

const compileSpec = (type: string, spec: PersonalDataSpec): CompiledSpec => {
  const subject = splitPath(type, spec.subject);
  const fields = spec.fields.map((path) => ({
    path,
    segments: splitPath(type, path),
    context: `${type}.${path}`,
  }));
  for (const field of fields) {
    if (field.path === spec.subject || spec.subject.startsWith(`${field.path}.`)) {
      throw new PrivacyError(
        'INVALID_ARGUMENT',
        `${type}: the subject id (${spec.subject}) cannot be inside a personal field (${field.path})`,
      );
    }
  }
  return { subject, fields };
};

const splitPath = (type: string, path: string): string[] => {
  const segments = typeof path === 'string' ? path.split('.') : [];
  if (segments.length === 0 || segments.some((s) => s === '' || FORBIDDEN_SEGMENTS.has(s))) {
    throw new PrivacyError(
      'INVALID_ARGUMENT',
      `${type}: '${String(path)}' is not a valid dot path`,
    );
  }
  return segments;
};

const subjectOf = (type: string, spec: CompiledSpec, data: unknown): string => {
  const subjectId = getPath(data, spec.subject);
  if (typeof subjectId !== 'string' || subjectId === '') {
    throw new PrivacyError(
      'SUBJECT_ID_MISSING',
      `${type}: ${spec.subject.join('.')} must hold the data subject's id to encrypt its personal fields`,
    );
  }
  return subjectId;
};

const getPath = (root: unknown, segments: readonly string[]): unknown => {
  let node = root;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment))
      return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
};

/** A copy of `root` with the value at `segments` replaced; only the objects on the path are copied. */
const setPath = <T>(root: T, segments: readonly string[], value: unknown): T => {
  const set = (node: unknown, depth: number): unknown => {
    const segment = segments[depth] as string;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(node)
      ? [...(node as unknown[])]
      : { ...(node as Record<string, unknown>) };
    const child =
      depth === segments.length - 1
        ? value
        : set((node as Record<string, unknown>)[segment], depth + 1);
    Object.defineProperty(copy, segment, {
      value: child,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return copy;
  };
  return set(root, 0) as T;
};

const parseJson = (plaintext: string, field: CompiledField): unknown => {
  try {
    return JSON.parse(plaintext) as unknown;
  } catch {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `${field.context} does not hold the JSON it was written as`,
    );
  }
};
