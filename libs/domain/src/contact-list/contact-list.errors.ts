import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type ContactListErrorCode =
  'CONTACT_LIST_NOT_FOUND' | 'CONTACT_LIST_ALREADY_EXISTS' | 'INVALID_CONTACT_LIST_NAME';

/** The one place a contact list error code gets its API kind. */
export const contactListErrorKinds: ErrorKindTable<ContactListErrorCode> = {
  CONTACT_LIST_NOT_FOUND: 'NOT_FOUND',
  CONTACT_LIST_ALREADY_EXISTS: 'CONFLICT',
  INVALID_CONTACT_LIST_NAME: 'BAD_USER_INPUT',
};

export class ContactListError extends DomainError<ContactListErrorCode> {
  constructor(code: ContactListErrorCode, message?: string) {
    super(code, contactListErrorKinds, message);
  }
}
