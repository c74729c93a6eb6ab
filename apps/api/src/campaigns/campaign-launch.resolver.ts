import { Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';

import type { Position } from '#event-store';
import type { MailpackrRuntime } from '#platform';
import {
  CampaignDeliveryEntity,
  MESSAGE_ROW_STATUSES,
  MessageEntity,
  type MessageRowStatus,
} from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { commandContextOf } from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import {
  BounceKind,
  type CampaignDelivery,
  type CampaignMessage,
  type CampaignMessageConnection,
  MessageStatus,
} from '../graphql/graphql.generated.js';
import { assertUuid, pageSize } from '../graphql/pagination.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import {
  LaunchCampaignInputDto,
  PauseCampaignInputDto,
  ResumeCampaignInputDto,
} from './campaign-launch.inputs.js';
import { type Campaign, toCampaign } from './campaigns.resolver.js';
import { GetCampaignQuery } from './queries/campaign-queries.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Read models a launch, pause, resume or cancel is read back from. */
const DELIVERY_READ_MODELS = ['campaigns', 'messages'];

export const toMessage = (row: MessageEntity): CampaignMessage => ({
  id: row.messageId,
  campaignId: row.campaignId,
  recipientId: row.recipientId,
  listId: row.listId,
  status: row.status.toUpperCase() as MessageStatus,
  attempts: row.attempts,
  lastReply: row.lastReply,
  nextAttemptAt: row.nextAttemptAt,
  queuedAt: row.queuedAt,
  updatedAt: row.updatedAt,
  bounceKind: row.bounceKind ? (row.bounceKind.toUpperCase() as BounceKind) : null,
  complainedAt: row.complainedAt,
  unsubscribedAt: row.unsubscribedAt,
});

const encodeMessageCursor = (messageId: string): string =>
  Buffer.from(`m|${messageId}`, 'utf8').toString('base64url');

const decodeMessageCursor = (cursor: string | null | undefined): string | undefined => {
  if (!cursor) return undefined;
  const [tag, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (tag !== 'm' || !id || !UUID.test(id)) {
    throw new ApiError('BAD_USER_INPUT', 'Invalid cursor: pass back an `endCursor` you received');
  }
  return id;
};

/**
 * Campaign launch and its controls (launch, pause, resume), a campaign's delivery counts and its
 * messages. Cancel lives with the other campaign mutations and sweeps the messages too.
 */
@Resolver('Campaign')
export class CampaignLaunchResolver {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
  ) {}

  /** Launches now; waits for the launch to queue every message (bulk appends of 1000). */
  @Mutation('launchCampaign')
  async launchCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: LaunchCampaignInputDto,
  ): Promise<Campaign> {
    const report = await this.runtime.campaigns.launch(
      commandContextOf(principal, 'LaunchCampaign', input),
      { campaignId: input.id, now: this.clock() },
    );
    await this.waitFor(report.position);
    return this.load(principal, input.id);
  }

  @Mutation('pauseCampaign')
  async pauseCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: PauseCampaignInputDto,
  ): Promise<Campaign> {
    const result = await this.runtime.campaigns.pause(
      commandContextOf(principal, 'PauseCampaign', input),
      { campaignId: input.id, now: this.clock() },
    );
    await this.waitFor(result.position);
    return this.load(principal, input.id);
  }

  @Mutation('resumeCampaign')
  async resumeCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ResumeCampaignInputDto,
  ): Promise<Campaign> {
    const result = await this.runtime.campaigns.resume(
      commandContextOf(principal, 'ResumeCampaign', input),
      { campaignId: input.id, now: this.clock() },
    );
    await this.waitFor(result.position);
    return this.load(principal, input.id);
  }

  /** From the `campaign_delivery` counts the messages projection keeps. */
  @ResolveField('delivery')
  async delivery(
    @CurrentPrincipal() principal: Principal,
    @Parent() campaign: Campaign,
  ): Promise<CampaignDelivery> {
    const row = await this.runtime.tenantReads.read(principal.tenantId, (scope) =>
      scope.findOne(CampaignDeliveryEntity, { where: { campaignId: campaign.id } }),
    );
    const counts = Object.fromEntries(
      MESSAGE_ROW_STATUSES.map((status) => [status, row?.[status] ?? 0]),
    ) as Record<MessageRowStatus, number>;
    return {
      ...counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      bouncedHard: row?.bouncedHard ?? 0,
      bouncedSoft: row?.bouncedSoft ?? 0,
      bouncedBlocked: row?.bouncedBlocked ?? 0,
      complained: row?.complained ?? 0,
      unsubscribed: row?.unsubscribed ?? 0,
    };
  }

  /** Keyset pagination by message id, served by the (campaign_id, [status,] message_id) indexes. */
  @Query('campaignMessages')
  async campaignMessages(
    @CurrentPrincipal() principal: Principal,
    @Args('campaignId') campaignId: string,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('status') status: MessageStatus | null,
  ): Promise<CampaignMessageConnection> {
    const size = pageSize(first);
    await this.load(principal, assertUuid(campaignId, 'Campaign'));
    const cursor = decodeMessageCursor(after);
    const rows = await this.runtime.tenantReads.read(principal.tenantId, (scope) => {
      const query = scope
        .select(MessageEntity, 'm')
        .andWhere('m.campaign_id = :campaignId', { campaignId });
      if (status) query.andWhere('m.status = :status', { status: status.toLowerCase() });
      if (cursor) query.andWhere('m.message_id > :cursor', { cursor });
      return query
        .orderBy('m.message_id', 'ASC')
        .limit(size + 1)
        .getMany();
    });
    const edges = rows.slice(0, size).map((row) => ({
      cursor: encodeMessageCursor(row.messageId),
      node: toMessage(row),
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  private async waitFor(position: Position | undefined): Promise<void> {
    if (!position) return;
    await this.runtime.projections.waitFor(
      position,
      DELIVERY_READ_MODELS,
      this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
    );
  }

  private async load(principal: Principal, campaignId: string): Promise<Campaign> {
    const row = await this.queryBus.execute(new GetCampaignQuery(principal.tenantId, campaignId));
    if (!row) throw new ApiError('NOT_FOUND', `No campaign ${campaignId}`);
    return toCampaign(row);
  }
}
