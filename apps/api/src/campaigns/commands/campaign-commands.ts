import { Command } from '@nestjs/cqrs';

import type { CampaignCommand } from '#domain';

import type { Principal } from '../../auth/principal.js';

/** What a campaign mutation returns before the read is made: where to find its result. */
export interface CampaignAck {
  campaignId: string;
  revision: bigint;
}

export interface CampaignCommandOptions {
  expectedRevision?: number | null;
  idempotencyKey?: string | null;
}

/**
 * One transport wrapper for the four campaign commands: each carries a domain command built by
 * the resolver, the caller, and the optional guards. The handler is the same for all four.
 */
export class ExecuteCampaignCommand extends Command<CampaignAck> {
  constructor(
    readonly command: CampaignCommand,
    readonly principal: Principal,
    readonly options: CampaignCommandOptions = {},
  ) {
    super();
  }
}
