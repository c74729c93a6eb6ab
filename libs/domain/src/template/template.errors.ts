import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type TemplateErrorCode =
  | 'TEMPLATE_NOT_FOUND'
  | 'TEMPLATE_ALREADY_EXISTS'
  | 'TEMPLATE_DELETED'
  | 'TEMPLATE_REVISION_CONFLICT'
  | 'TEMPLATE_REVISION_NOT_FOUND'
  | 'INVALID_TEMPLATE'
  | 'INVALID_TEMPLATE_NAME'
  | 'INVALID_TEMPLATE_CHANGES';

/** The one place a template error code gets its API kind. */
export const templateErrorKinds: ErrorKindTable<TemplateErrorCode> = {
  TEMPLATE_NOT_FOUND: 'NOT_FOUND',
  TEMPLATE_ALREADY_EXISTS: 'CONFLICT',
  // Gone for this tenant: served nowhere, never revised again (the reason tells it from unknown).
  TEMPLATE_DELETED: 'NOT_FOUND',
  TEMPLATE_REVISION_CONFLICT: 'CONFLICT',
  TEMPLATE_REVISION_NOT_FOUND: 'NOT_FOUND',
  INVALID_TEMPLATE: 'BAD_USER_INPUT',
  INVALID_TEMPLATE_NAME: 'BAD_USER_INPUT',
  INVALID_TEMPLATE_CHANGES: 'BAD_USER_INPUT',
};

export class TemplateError extends DomainError<TemplateErrorCode> {
  constructor(
    code: TemplateErrorCode,
    message?: string,
    /** `INVALID_TEMPLATE`: where and what, e.g. `{ line: 3, problems: [...] }`. */
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(code, templateErrorKinds, message, details);
  }
}
