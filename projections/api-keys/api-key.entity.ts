import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Read model `api_keys`: only the SHA-256 of each key is stored, never the key itself. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn({ name: 'key_id', type: 'uuid' })
  keyId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Index({ unique: true })
  @Column({ name: 'key_hash', type: 'text' })
  keyHash: string;

  @Column({ type: 'text' })
  role: string;

  @Column({ type: 'text' })
  label: string;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** The account that issued the key from its session (it belongs to that account). */
  @Column({ name: 'account_id', type: 'uuid', nullable: true })
  accountId: string | null;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
