import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

import type { MailpackrRuntime } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';
import { type CommandAck, ExecuteDomainCommand } from './execute-domain-command.js';

/** Load → decide → append for any aggregate, then wait until the named read models have applied it. */
@CommandHandler(ExecuteDomainCommand)
export class ExecuteDomainCommandHandler implements ICommandHandler<
  ExecuteDomainCommand,
  CommandAck
> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async execute({
    streamId,
    decider,
    command,
    principal,
    options,
    readModels,
  }: ExecuteDomainCommand): Promise<CommandAck> {
    const result = await this.runtime.commands.handle(streamId, decider, command, {
      tenantId: principal.tenantId,
      actor: `api-key:${principal.apiKeyId}`,
      // Scoped to tenant and command type: a key reused for another kind of command is a new command.
      commandId: options.idempotencyKey
        ? `${principal.tenantId}:${command.type}:${options.idempotencyKey}`
        : undefined,
      expectedRevision:
        options.expectedRevision == null ? undefined : BigInt(options.expectedRevision),
    });
    if (result.position) {
      await this.runtime.projections.waitFor(
        result.position,
        readModels,
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    }
    return { revision: result.revision };
  }
}
