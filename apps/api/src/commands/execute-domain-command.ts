import { Command } from '@nestjs/cqrs';

import type { Command as DomainCommand, Decider, Event } from '#domain';
import type { CommandContext } from '#platform';

import { type Principal, actorOf } from '../auth/principal.js';

/** What a mutation knows before it reads its result back: the stream's new revision. */
export interface CommandAck {
  revision: bigint;
}

/** The guards a client may send with a mutation. */
export interface CommandOptions {
  expectedRevision?: number | null;
  idempotencyKey?: string | null;
}

/**
 * Who asks and the client's guards, as the command executor takes them: the actor is the API
 * key, and an idempotency key is scoped to the tenant and the command type.
 */
export const commandContextOf = (
  principal: Principal,
  commandType: string,
  options: CommandOptions = {},
): CommandContext => ({
  tenantId: principal.tenantId,
  actor: actorOf(principal),
  commandId: options.idempotencyKey
    ? `${principal.tenantId}:${commandType}:${options.idempotencyKey}`
    : undefined,
  expectedRevision: options.expectedRevision == null ? undefined : BigInt(options.expectedRevision),
});

/**
 * One transport wrapper for every aggregate command: the resolver builds the domain command and
 * names its stream, its decider and the read models the answer will be read from.
 */
export class ExecuteDomainCommand<
  S = unknown,
  C extends DomainCommand<string, object> = DomainCommand<string, object>,
  E extends Event<string, object> = Event<string, object>,
> extends Command<CommandAck> {
  constructor(
    readonly streamId: string,
    readonly decider: Decider<S, C, E>,
    readonly command: C,
    readonly principal: Principal,
    readonly options: CommandOptions,
    /** Read models to wait for before answering (read your own writes). */
    readonly readModels: readonly string[],
  ) {
    super();
  }
}
