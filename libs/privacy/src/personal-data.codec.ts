import { type EncryptedField, ERASED, isEncryptedField } from './encrypted-field.js';
import type { DecryptRequest, EncryptRequest, PersonalDataVault } from './personal-data.vault.js';
import { PrivacyError } from './privacy.errors.js';

/** Where the personal data of one event type lives: dot paths into the event's `data`. */
export interface PersonalDataSpec {
  /** Dot path to the data subject's id (a random id, stored in clear). */
  readonly subject: string;
  /** Dot paths of the personal fields, encrypted under the subject's key. */
  readonly fields: readonly string[];
  /**
   * Encrypt the fields of one event as one value (see `EncryptedField.g`) instead of one value
   * each: one cipher call per event, and a third of the bytes, for events that bulk imports
   * write by the hundred thousand. Decrypts to the same data. Paths hold no ',' or '#' then.
   */
  readonly together?: boolean;
}

/** Declared once per event type, e.g. `{ RecipientAdded: { subject: 'recipientId', fields: ['email', 'name'] } }`. */
export type PersonalDataMap = Readonly<Record<string, PersonalDataSpec>>;

/** The part of the vault the codec uses. */
export type PersonalDataCipher = Pick<PersonalDataVault, 'encryptMany' | 'decryptMany'>;

interface CompiledField {
  readonly path: string;
  readonly segments: readonly string[];
  readonly context: string;
}

interface CompiledSpec {
  readonly type: string;
  readonly subject: readonly string[];
  readonly fields: readonly CompiledField[];
  readonly together: boolean;
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Encrypts and decrypts the personal fields of event data, as declared in a `PersonalDataMap`.
 * Only the listed fields are touched; the input is never mutated (objects on a field's path are
 * copied). Strings are encrypted as they are; other values as JSON (flag `j`), parsed back on
 * decryption. Erased fields read as `'[erased]'`, whatever their type was. AAD context:
 * `${eventType}.${fieldPath}`, so a ciphertext cannot be moved to another event type or field.
 *
 * Fields declared `together` are encrypted as one value when an event has more than one of them:
 * the JSON array of their values, stored at the first of them with their paths in `g` (the others
 * are left out of the stored event), AAD context `${eventType}#${paths joined by ','}`. Decryption
 * puts every one back. Read models keep that value for each field it holds (`SealedField`), and
 * `decryptSealed` picks the field by its context.
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
    const [encrypted] = await this.encryptEvents([{ type, data }], tenantId);
    return encrypted as T;
  }

  /**
   * Encrypts the personal fields of many events of one tenant in one vault call (`encryptMany`:
   * one key lookup for the subjects not cached).
   * Fields that are already encrypted are left as they are. Results keep the order.
   */
  async encryptEvents<T>(
    events: ReadonlyArray<{ type: string; data: T }>,
    tenantId: string,
  ): Promise<T[]> {
    const slots: Array<{ event: number; fields: CompiledField[]; json: boolean }> = [];
    const requests: EncryptRequest[] = [];
    events.forEach(({ type, data }, event) => {
      const spec = this.#specs.get(type);
      if (!spec) return;
      const present: Array<{ field: CompiledField; value: unknown }> = [];
      for (const field of spec.fields) {
        const value = getPath(data, field.segments);
        if (value !== undefined && value !== null && !isEncryptedField(value)) {
          present.push({ field, value });
        }
      }
      if (present.length === 0) return;
      const subjectId = subjectOf(type, spec, data);
      if (spec.together && present.length > 1) {
        const fields = present.map((p) => p.field);
        const plaintext = serialise(
          type,
          fields[0]!,
          present.map((p) => p.value),
        );
        slots.push({ event, fields, json: false });
        requests.push({ subjectId, plaintext, context: bundleContext(type, fields) });
        return;
      }
      for (const { field, value } of present) {
        const json = typeof value !== 'string';
        const plaintext = json ? serialise(type, field, value) : value;
        slots.push({ event, fields: [field], json });
        requests.push({ subjectId, plaintext, context: field.context });
      }
    });
    const results = events.map(({ data }) => data);
    if (requests.length === 0) return results;
    const sealed = await this.#vault.encryptMany(tenantId, requests);
    slots.forEach(({ event, fields, json }, index) => {
      const value = sealed[index] as EncryptedField;
      const [first, ...others] = fields as [CompiledField, ...CompiledField[]];
      results[event] =
        others.length === 0
          ? setPath(results[event] as T, first.segments, json ? { ...value, j: 1 } : value)
          : rewrite(results[event] as T, [
              { segments: first.segments, value: { ...value, g: fields.map((f) => f.path) } },
              ...others.map((field) => ({ segments: field.segments, value: REMOVE })),
            ]);
    });
    return results;
  }

  async decryptEvent<T>(type: string, data: T): Promise<T> {
    const [decrypted] = await this.decryptEvents([{ type, data }]);
    return decrypted as T;
  }

  /** Decrypts many events with one key lookup for every subject that is not cached. */
  async decryptEvents<T>(events: ReadonlyArray<{ type: string; data: T }>): Promise<T[]> {
    const slots: Array<{ event: number; fields: CompiledField[]; value: EncryptedField }> = [];
    const requests: DecryptRequest[] = [];
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
        if (value.g === undefined) {
          slots.push({ event, fields: [field], value });
          requests.push({ field: value, context: field.context });
          continue;
        }
        const fields = bundledFields(spec, field, value.g);
        slots.push({ event, fields, value });
        requests.push({ field: value, context: bundleContext(type, fields) });
      }
    });
    const results = events.map(({ data }) => data);
    if (slots.length === 0) return results;
    const plaintexts = await this.#vault.decryptMany(requests);
    slots.forEach(({ event, fields, value }, index) => {
      const plaintext = plaintexts[index] as string;
      const values = decode(plaintext, value, fields);
      fields.forEach((field, i) => {
        results[event] = setPath(results[event] as T, field.segments, values[i]);
      });
    });
    return results;
  }

  /**
   * Decrypts sealed fields (see `SealedField`) in one batch: strings as they were, JSON values
   * parsed, `[erased]` once the subject's key is gone; null and non-sealed values give null.
   * A value that holds several fields (`g`) is decrypted once however many of them are asked for.
   */
  async decryptSealed(fields: readonly unknown[]): Promise<unknown[]> {
    const results: unknown[] = fields.map(() => null);
    const requests: DecryptRequest[] = [];
    const wanted: Array<{ index: number; request: number; field: SealedContext; at: number }> = [];
    const seen = new Map<string, number>();
    fields.forEach((sealed, index) => {
      if (!isSealedField(sealed)) return;
      const field = sealedField(sealed.context);
      const g = sealed.field.g;
      const context =
        g === undefined
          ? sealed.context
          : bundleContext(
              field.type,
              g.map((path) => ({ path })),
            );
      const at = g === undefined ? -1 : g.indexOf(field.path);
      if (g !== undefined && at < 0) {
        throw new PrivacyError(
          'CIPHERTEXT_INVALID',
          `${sealed.context} is not in the value sealed for it`,
        );
      }
      const key = `${context}|${sealed.field.s}|${sealed.field.c}`;
      let request = seen.get(key);
      if (request === undefined) {
        request = requests.push({ field: sealed.field, context }) - 1;
        seen.set(key, request);
      }
      wanted.push({ index, request, field, at });
    });
    if (requests.length === 0) return results;
    const plaintexts = await this.#vault.decryptMany(requests);
    const decoded = new Map<number, unknown[]>();
    for (const { index, request, field, at } of wanted) {
      const { field: value } = requests[request]!;
      if (at < 0) {
        results[index] = decode(plaintexts[request]!, value, [field])[0];
        continue;
      }
      let values = decoded.get(request);
      if (!values) {
        const holds = value.g!.map((path) => ({ context: `${field.type}.${path}` }));
        values = decode(plaintexts[request]!, value, holds);
        decoded.set(request, values);
      }
      results[index] = values[at];
    }
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
  if (spec.together === true) {
    for (const field of fields) {
      if (/[,#]/.test(field.path)) {
        throw new PrivacyError(
          'INVALID_ARGUMENT',
          `${type}: fields encrypted together cannot have ',' or '#' in their paths (${field.path})`,
        );
      }
      if (fields.some((other) => other !== field && other.path.startsWith(`${field.path}.`))) {
        throw new PrivacyError(
          'INVALID_ARGUMENT',
          `${type}: fields encrypted together cannot hold one another (${field.path})`,
        );
      }
    }
  }
  return { type, subject, fields, together: spec.together === true };
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

const parseJson = (plaintext: string, field: FieldContext): unknown => {
  try {
    return JSON.parse(plaintext) as unknown;
  } catch {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `${field.context} does not hold the JSON it was written as`,
    );
  }
};

/** The AAD context of fields encrypted together: the event type and every path the value holds. */
const bundleContext = (type: string, fields: ReadonlyArray<{ path: string }>): string =>
  `${type}#${fields.map((f) => f.path).join(',')}`;

/** The declared fields a stored value says it holds (`g`); anything else is tampering. */
const bundledFields = (
  spec: CompiledSpec,
  holder: CompiledField,
  paths: readonly string[],
): CompiledField[] => {
  const fields = paths.map((path) => spec.fields.find((f) => f.path === path));
  if (
    !spec.together ||
    paths[0] !== holder.path ||
    new Set(paths).size !== paths.length ||
    fields.some((f) => f === undefined)
  ) {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `${holder.context} claims to hold fields that ${spec.type} does not encrypt together`,
    );
  }
  return fields as CompiledField[];
};

/** The value of each field a decrypted plaintext holds, in order; `[erased]` for each when erased. */
const decode = (
  plaintext: string,
  value: EncryptedField,
  fields: readonly FieldContext[],
): unknown[] => {
  if (plaintext === ERASED) return fields.map(() => ERASED);
  if (value.g === undefined) {
    return [value.j === 1 ? parseJson(plaintext, fields[0]!) : plaintext];
  }
  const values = parseJson(plaintext, fields[0]!);
  if (!Array.isArray(values) || values.length !== fields.length) {
    throw new PrivacyError(
      'CIPHERTEXT_INVALID',
      `${fields[0]!.context} does not hold the ${fields.length} values it was written with`,
    );
  }
  return values;
};

/** What decoding a plaintext needs of each field it holds: its context, for error messages. */
type FieldContext = Pick<CompiledField, 'context'>;

/** The type and path of a sealed field's context (`RecipientAdded.consent.ipAddress`). */
interface SealedContext extends FieldContext {
  type: string;
  path: string;
}

const sealedField = (context: string): SealedContext => {
  const dot = context.indexOf('.');
  const path = dot < 0 ? '' : context.slice(dot + 1);
  return { type: context.slice(0, Math.max(dot, 0)), path, context };
};

const serialise = (type: string, field: CompiledField, value: unknown): string => {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    throw new PrivacyError('INVALID_ARGUMENT', `${type}.${field.path} is not JSON-serialisable`);
  }
  return json;
};

/** Removes a field in `rewrite`. */
const REMOVE = Symbol('remove');

/**
 * A copy of `root` with each edit's path set to its value, or left out (`REMOVE`), in one pass:
 * only the objects on the paths are copied, key by key (`delete` on a copy would turn it into a
 * slow dictionary object, and a copy per edit cost more than the cipher call it goes with).
 */
const rewrite = <T>(
  root: T,
  edits: ReadonlyArray<{ segments: readonly string[]; value: unknown }>,
  depth = 0,
): T => {
  if (Array.isArray(root)) {
    throw new PrivacyError(
      'INVALID_ARGUMENT',
      'fields encrypted together are reached through objects only, not arrays',
    );
  }
  const node = root as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    let value = node[key];
    // Most keys are on no path: checked before any array is built (this runs for every key of every event).
    if (edits.some((edit) => edit.segments[depth] === key)) {
      const mine = edits.filter((edit) => edit.segments[depth] === key);
      const leaf = mine.find((edit) => edit.segments.length === depth + 1);
      value = leaf ? leaf.value : rewrite(value, mine, depth + 1);
    }
    if (value === REMOVE) continue;
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = value;
    }
  }
  return copy as T;
};
