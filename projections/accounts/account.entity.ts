import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Read model `accounts`: who may log in, with which role. No plaintext and no password hash: the
 * login lookup goes through `email_index` (a keyed HMAC of the normalised address, unique across
 * the platform), and the personal fields are kept as the events' ciphertext (sealed), cleared
 * once the account is erased.
 */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Index({ unique: true })
  @Column({ name: 'email_index', type: 'text', nullable: true })
  emailIndex: string | null;

  @Column({ type: 'jsonb', nullable: true })
  email: unknown;

  @Column({ type: 'jsonb', nullable: true })
  name: unknown;

  @Column({ type: 'jsonb', nullable: true })
  company: unknown;

  @Column({ type: 'text' })
  role: string;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt: Date | null;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
