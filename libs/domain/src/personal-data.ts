/**
 * Which fields of which events are personal data, and whose. The event store never sees these
 * fields in plaintext: they are encrypted under the data subject's own key before the append
 * (crypto-shredding, DESIGN.md §4). Paths are dot-separated inside the event's `data`.
 */
export interface PersonalDataDeclaration {
  /** Path to the data subject's id (the key the fields are encrypted under). */
  subject: string;
  fields: string[];
  /**
   * Encrypt the event's fields as one value, stored at the first present field (see
   * `PersonalDataSpec.together`): for events written in bulk. Projections then read the fields
   * of such an event with `sealFrom`.
   */
  together?: boolean;
}

export const PERSONAL_DATA: Readonly<Record<string, PersonalDataDeclaration>> = {
  TenantCreated: { subject: 'owner.accountId', fields: ['owner.email', 'owner.name'] },
  // Written once per imported row: its fields are encrypted together (one cipher call a row).
  RecipientAdded: {
    subject: 'recipientId',
    fields: ['email', 'name', 'attributes', 'consent.ipAddress'],
    together: true,
  },
  RecipientCorrected: { subject: 'recipientId', fields: ['email', 'name', 'attributes'] },
  RecipientSubscribed: { subject: 'recipientId', fields: ['consent.ipAddress'] },
  OptInRequested: { subject: 'recipientId', fields: ['consent.ipAddress'] },
  OptInConfirmed: { subject: 'recipientId', fields: ['ipAddress'] },
  // A registered account's own data (MailPackr is its controller); the password hash too, so an
  // erased account's hash is unreadable like the rest.
  AccountRegistered: {
    subject: 'accountId',
    fields: ['email', 'name', 'company', 'passwordHash'],
  },
  AccountPasswordChanged: { subject: 'accountId', fields: ['passwordHash'] },
};
