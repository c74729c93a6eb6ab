import { assertNever } from '../core/assert-never.js';
import type { Command, Decider, Event } from '../core/decider.js';
import type { RetentionPolicyKind } from '../tenant/tenant.plans.js';

/** One policy as a run applied it: everything last active before `cutoff` was removed. */
export interface AppliedRetentionPolicy {
  kind: RetentionPolicyKind;
  days: number;
  cutoff: string;
  /** Recipients erased, or delivery records dropped, under this policy in this run. */
  removed: number;
}

/** The record of one retention run of one tenant (a run that found nothing is recorded too). */
export type RetentionRunCompleted = Event<
  'RetentionRunCompleted',
  {
    tenantId: string;
    runId: string;
    startedAt: string;
    finishedAt: string;
    policies: AppliedRetentionPolicy[];
    recipientsErased: number;
  }
>;

export type RecordRetentionRun = Command<
  'RecordRetentionRun',
  Omit<RetentionRunCompleted['data'], 'finishedAt'>
>;

export const RETENTION_STREAM_CATEGORY = 'retention';
export const toRetentionStreamId = (tenantId: string): string =>
  `${RETENTION_STREAM_CATEGORY}-${tenantId}`;

/** A tenant's retention log: one event per run, nothing to decide beyond recording it. */
export const retentionDecider: Decider<
  { runs: number },
  RecordRetentionRun,
  RetentionRunCompleted
> = {
  initialState: () => ({ runs: 0 }),
  evolve: (state) => ({ runs: state.runs + 1 }),
  decide: (command) => {
    switch (command.type) {
      case 'RecordRetentionRun':
        return [
          {
            type: 'RetentionRunCompleted',
            data: { ...command.data, finishedAt: command.metadata.now.toISOString() },
          },
        ];
      default:
        return assertNever(command.type, 'Unknown retention command');
    }
  },
};
