import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Read model `privacy_requests`: each tenant's data-subject requests and their deadlines, for
 * support staff and auditors. No personal data: the subject is an id, the reference a ticket code.
 * `outcome` holds what was done for a completed request and the rejection reason for a rejected
 * one (`status` tells which).
 */
@Entity({ name: 'privacy_requests' })
export class PrivacyRequestEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' })
  requestId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  regulation: string;

  @Column({ name: 'subject_type', type: 'text' })
  subjectType: string;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId: string | null;

  @Column({ type: 'text', nullable: true })
  reference: string | null;

  @Column({ type: 'text' })
  status: 'open' | 'completed' | 'rejected';

  @Column({ type: 'text', nullable: true })
  outcome: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'boolean' })
  extended: boolean;

  @Column({ name: 'opened_by', type: 'text' })
  openedBy: string;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'closed_by', type: 'text', nullable: true })
  closedBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
