import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Read model `templates`: the current revision of each template, per tenant. A deleted template
 * stays as a tombstone (`deleted_at`) with its content cleared, and is never served.
 */
@Entity({ name: 'templates' })
export class TemplateEntity {
  @PrimaryColumn({ name: 'template_id', type: 'uuid' })
  templateId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  /** Template revision (1-based): what campaigns pin and `expectedRevision` names. */
  @Column({ type: 'integer' })
  revision: number;

  @Column({ type: 'text' })
  mjml: string;

  /** The MJML compiled once for this revision, merge fields still in place. */
  @Column({ type: 'text' })
  html: string;

  @Column({ name: 'merge_fields', type: 'text', array: true })
  mergeFields: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /** Stream revision of the last applied event (0-based): makes redelivery harmless. */
  @Column({ name: 'last_revision', type: 'bigint' })
  lastRevision: string;
}
