import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read model `recipients`. Personal columns hold ciphertext (`EncryptedField` JSON), null once erased. */
@Entity({ name: 'recipients' })
export class RecipientEntity {
  @PrimaryColumn({ name: 'recipient_id', type: 'uuid' })
  recipientId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'email_index', type: 'text', nullable: true })
  emailIndex: string | null;

  @Column({ type: 'jsonb', nullable: true })
  email: unknown;

  @Column({ type: 'jsonb', nullable: true })
  name: unknown;

  @Column({ type: 'jsonb', nullable: true })
  attributes: unknown;

  @Column({ type: 'text' })
  status: 'active' | 'erased';

  @Column({ name: 'unsubscribed_all', type: 'boolean' })
  unsubscribedAll: boolean;

  @Column({ type: 'boolean' })
  restricted: boolean;

  @Column({ type: 'boolean' })
  objected: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt: Date | null;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
