import { randomUUID } from 'node:crypto';

import {
  type PrivacyRegulation,
  type PrivacyRequest,
  type PrivacyRequestCommand,
  type PrivacyRequestEvent,
  type PrivacyRequestKind,
  type PrivacyRequestRejectionReason,
  type PrivacySubjectType,
  PrivacyRequestError,
  privacyRequestDecider,
  toPrivacyRequestStreamId,
} from '#domain';
import type { Position } from '#event-store';

import type {
  CommandContext,
  CommandExecutor,
  CommandResult,
} from '../commands/command-executor.js';

/** How a data-subject action is tied to a request: an open one given by id, or a new one. */
export interface TrackedRequest {
  /** An open request logged earlier; without it, the action opens (and closes) its own. */
  requestId?: string;
  kind: PrivacyRequestKind;
  regulation?: PrivacyRegulation;
  subjectType: PrivacySubjectType;
  reference?: string | null;
}

/**
 * Data-subject request tracking (GDPR one month, CCPA 45 days): every right exercised through
 * MailPackr belongs to a request with its received time, due date and status. Support staff may
 * log a request first (`open`) and act later; an action without a request id is recorded as a
 * request received and completed at once.
 */
export class PrivacyRequests {
  constructor(
    private readonly deps: {
      executor: CommandExecutor;
      waitForReadModel: (position: Position | undefined) => Promise<void>;
    },
  ) {}

  open(
    context: CommandContext,
    input: {
      requestId?: string;
      kind: PrivacyRequestKind;
      regulation: PrivacyRegulation;
      subjectType: PrivacySubjectType;
      subjectId: string | null;
      reference: string | null;
      receivedAt: Date;
      now: Date;
    },
  ): Promise<CommandResult<PrivacyRequest, PrivacyRequestEvent> & { requestId: string }> {
    const requestId = input.requestId ?? randomUUID();
    return this.run(context, {
      type: 'OpenPrivacyRequest',
      data: {
        requestId,
        tenantId: context.tenantId,
        kind: input.kind,
        regulation: input.regulation,
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        reference: input.reference,
        receivedAt: input.receivedAt,
        openedBy: context.actor,
      },
      metadata: { now: input.now },
    }).then((result) => ({ ...result, requestId }));
  }

  reject(
    context: CommandContext,
    requestId: string,
    reason: PrivacyRequestRejectionReason,
    now: Date,
  ): Promise<CommandResult<PrivacyRequest, PrivacyRequestEvent>> {
    return this.run(context, {
      type: 'RejectPrivacyRequest',
      data: { requestId, tenantId: context.tenantId, rejectedBy: context.actor, reason },
      metadata: { now },
    });
  }

  extend(
    context: CommandContext,
    requestId: string,
    reason: string,
    now: Date,
  ): Promise<CommandResult<PrivacyRequest, PrivacyRequestEvent>> {
    return this.run(context, {
      type: 'ExtendPrivacyRequest',
      data: { requestId, tenantId: context.tenantId, extendedBy: context.actor, reason },
      metadata: { now },
    });
  }

  /**
   * Runs a data-subject action under a request: checks the given request is open and of the
   * right kind first, opens one when none is given, and completes it with `outcome` once the
   * action succeeded. The action gets the request id (an erasure uses it as its own).
   */
  async track<T>(
    context: CommandContext,
    request: TrackedRequest & { subjectId: () => Promise<string | null> | string | null },
    outcome: string,
    now: Date,
    action: (requestId: string) => Promise<T>,
  ): Promise<T> {
    let requestId = request.requestId;
    if (requestId) {
      const state = await this.load(requestId);
      if (state.status === 'Empty' || state.tenantId !== context.tenantId) {
        throw new PrivacyRequestError('PRIVACY_REQUEST_NOT_FOUND');
      }
      if (state.status !== 'Open' && !(state.status === 'Completed' && state.outcome === outcome)) {
        throw new PrivacyRequestError('PRIVACY_REQUEST_CLOSED');
      }
    } else {
      requestId = (
        await this.open(context, {
          kind: request.kind,
          regulation: request.regulation ?? 'gdpr',
          subjectType: request.subjectType,
          subjectId: await request.subjectId(),
          reference: request.reference ?? null,
          receivedAt: now,
          now,
        })
      ).requestId;
    }
    const result = await action(requestId);
    const completed = await this.run(context, {
      type: 'CompletePrivacyRequest',
      data: { requestId, tenantId: context.tenantId, completedBy: context.actor, outcome },
      metadata: { now },
    });
    await this.deps.waitForReadModel(completed.position);
    return result;
  }

  private load(requestId: string): Promise<PrivacyRequest> {
    return this.deps.executor.read(toPrivacyRequestStreamId(requestId), privacyRequestDecider);
  }

  private async run(
    context: CommandContext,
    command: PrivacyRequestCommand,
  ): Promise<CommandResult<PrivacyRequest, PrivacyRequestEvent>> {
    const result = await this.deps.executor.handle(
      toPrivacyRequestStreamId(command.data.requestId),
      privacyRequestDecider,
      command,
      { ...context, commandId: undefined, expectedRevision: undefined },
    );
    await this.deps.waitForReadModel(result.position);
    return result;
  }
}
