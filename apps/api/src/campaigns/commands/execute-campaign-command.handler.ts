import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

import { campaignDecider, toCampaignStreamId } from '#domain';
import type { MailpackrRuntime } from '#platform';

import { RUNTIME } from '../../runtime/runtime.tokens.js';
import { type CampaignAck, ExecuteCampaignCommand } from './campaign-commands.js';

/** Load → decide → append for Draft/Revise/Schedule/CancelCampaign, then wait for the read model. */
@CommandHandler(ExecuteCampaignCommand)
export class ExecuteCampaignCommandHandler implements ICommandHandler<
  ExecuteCampaignCommand,
  CampaignAck
> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  async execute({ command, principal, options }: ExecuteCampaignCommand): Promise<CampaignAck> {
    const { campaignId } = command.data;
    const result = await this.runtime.commands.handle(
      toCampaignStreamId(campaignId),
      campaignDecider,
      command,
      {
        tenantId: principal.tenantId,
        actor: `api-key:${principal.apiKeyId}`,
        // Scoped to tenant and command type: a key reused for another kind of command is a new command.
        commandId: options.idempotencyKey
          ? `${principal.tenantId}:${command.type}:${options.idempotencyKey}`
          : undefined,
        expectedRevision:
          options.expectedRevision == null ? undefined : BigInt(options.expectedRevision),
      },
    );
    if (result.position) {
      // Read your own writes: answer once the read model has applied what was just appended.
      await this.runtime.projections.waitFor(
        result.position,
        ['campaigns'],
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    }
    return { campaignId, revision: result.revision };
  }
}
