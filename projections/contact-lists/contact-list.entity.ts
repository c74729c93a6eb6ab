import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read model `contact_lists`. A deleted list stays as a tombstone (`deleted_at`) and is never served. */
@Entity({ name: 'contact_lists' })
export class ContactListEntity {
  @PrimaryColumn({ name: 'list_id', type: 'uuid' })
  listId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
