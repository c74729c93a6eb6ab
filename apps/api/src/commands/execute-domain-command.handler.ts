import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

import type { MailpackrRuntime } from '#platform';

import { RUNTIME } from '../runtime/runtime.tokens.js';
import {
  type CommandAck,
  ExecuteDomainCommand,
  commandContextOf,
} from './execute-domain-command.js';

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
    const result = await this.runtime.commands.handle(
      streamId,
      decider,
      command,
      commandContextOf(principal, command.type, options),
    );
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
