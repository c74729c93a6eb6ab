import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type TenantErrorCode =
  | 'TENANT_NOT_FOUND'
  | 'TENANT_ALREADY_EXISTS'
  | 'INVALID_TENANT_NAME'
  | 'INVALID_PLAN'
  | 'API_KEY_NOT_FOUND'
  | 'API_KEY_ALREADY_EXISTS'
  | 'INVALID_API_KEY_HASH'
  | 'INVALID_API_KEY_ROLE'
  | 'INVALID_API_KEY_LABEL'
  | 'INVALID_OWNER'
  | 'INVALID_OWNER_EMAIL'
  | 'INVALID_RETENTION_POLICY'
  | 'ACCOUNT_NOT_FOUND'
  | 'INVALID_LEGAL_BASIS'
  | 'INVALID_SENDING_PAUSE';

/** The one place a tenant error code gets its API kind. */
export const tenantErrorKinds: ErrorKindTable<TenantErrorCode> = {
  TENANT_NOT_FOUND: 'NOT_FOUND',
  TENANT_ALREADY_EXISTS: 'CONFLICT',
  INVALID_TENANT_NAME: 'BAD_USER_INPUT',
  INVALID_PLAN: 'BAD_USER_INPUT',
  API_KEY_NOT_FOUND: 'NOT_FOUND',
  API_KEY_ALREADY_EXISTS: 'CONFLICT',
  INVALID_API_KEY_HASH: 'BAD_USER_INPUT',
  INVALID_API_KEY_ROLE: 'BAD_USER_INPUT',
  INVALID_API_KEY_LABEL: 'BAD_USER_INPUT',
  INVALID_OWNER: 'BAD_USER_INPUT',
  INVALID_OWNER_EMAIL: 'BAD_USER_INPUT',
  INVALID_RETENTION_POLICY: 'BAD_USER_INPUT',
  ACCOUNT_NOT_FOUND: 'NOT_FOUND',
  INVALID_LEGAL_BASIS: 'BAD_USER_INPUT',
  INVALID_SENDING_PAUSE: 'BAD_USER_INPUT',
};

export class TenantError extends DomainError<TenantErrorCode> {
  constructor(code: TenantErrorCode, message?: string) {
    super(code, tenantErrorKinds, message);
  }
}
