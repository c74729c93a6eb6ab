import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where each projection stands in the log, written in the same transaction as its rows. */
@Entity({ name: 'mp_projection_checkpoints' })
export class ProjectionCheckpointEntity {
  @PrimaryColumn({ type: 'text' })
  name: string;

  /** `commit/prepare` of the last applied event, null before the first. */
  @Column({ type: 'text', nullable: true })
  position: string | null;

  @Column({ name: 'events_applied', type: 'bigint', default: 0 })
  eventsApplied: string;

  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true })
  updatedAt: Date | null;
}
