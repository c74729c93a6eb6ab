/**
 * How a domain error surfaces in the API. The GraphQL layer maps a kind to `extensions.code`
 * once, in one place; resolvers never catch domain errors themselves.
 */
export const DOMAIN_ERROR_KINDS = ['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN'] as const;
export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

/**
 * One table per aggregate, mapping every error code to its kind. Typed as a full record so that a
 * code added to the union without a kind (or a kind for an unknown code) does not compile.
 */
export type ErrorKindTable<Code extends string> = Readonly<Record<Code, DomainErrorKind>>;

/** Base class of every error the domain throws on purpose. Subclass it once per aggregate. */
export abstract class DomainError<Code extends string = string> extends Error {
  readonly kind: DomainErrorKind;

  protected constructor(
    readonly code: Code,
    kinds: ErrorKindTable<Code>,
    message?: string,
    /** Extra facts for the client (e.g. the line of a template error); never personal data. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message ?? code);
    this.name = new.target.name;
    this.kind = kinds[code];
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
