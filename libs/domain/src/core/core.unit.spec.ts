import { describe, expect, it } from '@jest/globals';

import { DOMAIN_ERROR_KINDS, assertNever, isDomainError, isUuid, utf8ByteLength } from '#domain';

import { anId } from '../../../testing/src/builders/common.builders.js';

describe('Core', () => {
  describe('When a switch meets a value the types ruled out', () => {
    it('should throw with the value', () =>
      expect(() => assertNever({ type: 'Surprise' } as never)).toThrow(
        'Unexpected value: Surprise',
      ));
  });

  describe('When measuring text as UTF-8', () => {
    it.each([
      ['ASCII', 'mjml', 4],
      ['two-byte characters', 'é', 2],
      ['three-byte characters', '€', 3],
      ['a surrogate pair', '😀', 4],
      ['a lone surrogate', '\ud800', 3],
      ['mixed text', 'a€😀é', 1 + 3 + 4 + 2],
    ])('should count %s like TextEncoder', (_, text, bytes) => {
      expect(utf8ByteLength(text)).toBe(bytes);
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    });
  });

  describe('When checking ids', () => {
    it('should accept a UUID in either case', () => {
      const id = anId();
      expect(isUuid(id)).toBe(true);
      expect(isUuid(id.toUpperCase())).toBe(true);
    });

    it.each([[''], ['not-a-uuid'], [`${anId()}x`], [42]])('should reject %p', (value) =>
      expect(isUuid(value)).toBe(false),
    );
  });

  describe('When telling domain errors apart', () => {
    it('should not take a plain Error for a domain error', () =>
      expect(isDomainError(new Error('boom'))).toBe(false));

    it('should know the four API kinds', () =>
      expect(DOMAIN_ERROR_KINDS).toEqual(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN']));
  });
});
