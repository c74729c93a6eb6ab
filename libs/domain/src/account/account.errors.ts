import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type AccountErrorCode =
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_ALREADY_EXISTS'
  | 'ACCOUNT_ERASED'
  | 'INVALID_ACCOUNT'
  | 'INVALID_ACCOUNT_EMAIL'
  | 'INVALID_ACCOUNT_NAME'
  | 'INVALID_ACCOUNT_COMPANY'
  | 'INVALID_ACCOUNT_ROLE'
  | 'INVALID_PASSWORD_HASH'
  | 'INVALID_LEGAL_BASIS'
  | 'OWNER_ROLE_PROTECTED';

/** The one place an account error code gets its API kind. */
export const accountErrorKinds: ErrorKindTable<AccountErrorCode> = {
  ACCOUNT_NOT_FOUND: 'NOT_FOUND',
  ACCOUNT_ALREADY_EXISTS: 'CONFLICT',
  ACCOUNT_ERASED: 'CONFLICT',
  INVALID_ACCOUNT: 'BAD_USER_INPUT',
  INVALID_ACCOUNT_EMAIL: 'BAD_USER_INPUT',
  INVALID_ACCOUNT_NAME: 'BAD_USER_INPUT',
  INVALID_ACCOUNT_COMPANY: 'BAD_USER_INPUT',
  INVALID_ACCOUNT_ROLE: 'BAD_USER_INPUT',
  INVALID_PASSWORD_HASH: 'BAD_USER_INPUT',
  INVALID_LEGAL_BASIS: 'BAD_USER_INPUT',
  OWNER_ROLE_PROTECTED: 'FORBIDDEN',
};

export class AccountError extends DomainError<AccountErrorCode> {
  constructor(code: AccountErrorCode, message?: string) {
    super(code, accountErrorKinds, message);
  }
}
