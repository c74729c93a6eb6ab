import { randomUUID } from 'node:crypto';

import { Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Args, Info, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';

import {
  type CampaignCommand,
  type CampaignTemplateRef,
  campaignDecider,
  toCampaignStreamId,
} from '#domain';
import { type MailpackrRuntime, uuidFromName } from '#platform';
import type { CampaignEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import {
  type CommandOptions,
  ExecuteDomainCommand,
  commandContextOf,
} from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { columnsFor, selectedFields } from '../graphql/selection.js';
import {
  type Campaign as CampaignType,
  type CampaignDeletion,
  CampaignPauseReason,
  CampaignStatus,
} from '../graphql/graphql.generated.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import {
  CancelCampaignInputDto,
  DeleteCampaignInputDto,
  DraftCampaignInputDto,
  ReviseCampaignInputDto,
  ScheduleCampaignInputDto,
} from './campaign.inputs.js';

import { GetCampaignQuery, ListCampaignsQuery } from './queries/campaign-queries.js';

/** A campaign as resolvers return it; `delivery` is resolved on demand (campaign-launch.resolver). */
export type Campaign = Omit<CampaignType, 'delivery'>;

export const toCampaign = (row: CampaignEntity): Campaign => ({
  id: row.campaignId,
  name: row.name,
  subject: row.subject,
  fromAddress: row.fromAddress,
  fromName: row.fromName,
  mjmlBody: row.mjmlBody,
  listIds: row.listIds,
  templateId: row.templateId,
  templateRevision: row.templateRevision,
  status: row.status as CampaignStatus,
  sendAt: row.sendAt,
  cancelReason: row.cancelReason,
  revision: Number(row.lastRevision),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  scheduledAt: row.scheduledAt,
  cancelledAt: row.cancelledAt,
  startedAt: row.startedAt,
  pausedAt: row.pausedAt,
  pausedReason:
    row.status === 'PAUSED'
      ? ((row.pausedReason ?? 'manual').toUpperCase() as CampaignPauseReason)
      : null,
  completedAt: row.completedAt,
  audience: row.audience && {
    listIds: [...row.audience.listIds],
    recipients: row.audience.recipients,
    excluded: { ...row.audience.excluded },
    queuedMessages: row.queuedMessages,
    queuedAt: row.queuedAt,
  },
});

/**
 * The columns each `Campaign` field is made from (`toCampaign`), so a page loads only what its
 * query selects: a page of names and statuses does not carry every campaign's MJML body.
 * `delivery` has its own resolver and needs only the id.
 */
const CAMPAIGN_COLUMNS: Readonly<Record<keyof CampaignType, ReadonlyArray<keyof CampaignEntity>>> =
  {
    id: ['campaignId'],
    name: ['name'],
    subject: ['subject'],
    fromAddress: ['fromAddress'],
    fromName: ['fromName'],
    mjmlBody: ['mjmlBody'],
    listIds: ['listIds'],
    templateId: ['templateId'],
    templateRevision: ['templateRevision'],
    status: ['status'],
    sendAt: ['sendAt'],
    cancelReason: ['cancelReason'],
    revision: ['lastRevision'],
    createdAt: ['createdAt'],
    updatedAt: ['updatedAt'],
    scheduledAt: ['scheduledAt'],
    cancelledAt: ['cancelledAt'],
    startedAt: ['startedAt'],
    pausedAt: ['pausedAt'],
    pausedReason: ['status', 'pausedReason'],
    completedAt: ['completedAt'],
    audience: ['audience', 'queuedMessages', 'queuedAt'],
    delivery: [],
  };

@Resolver('Campaign')
export class CampaignsResolver {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
  ) {}

  @Query('campaign')
  async campaign(
    @CurrentPrincipal() principal: Principal,
    @Args('id') id: string,
  ): Promise<Campaign> {
    return this.load(principal, assertUuid(id, 'Campaign'));
  }

  @Query('campaigns')
  async campaigns(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('status') status: CampaignStatus | null,
    @Info() info: GraphQLResolveInfo,
  ) {
    const size = pageSize(first);
    const rows = await this.queryBus.execute(
      new ListCampaignsQuery(
        principal.tenantId,
        size,
        decodeCursor(after),
        status ?? undefined,
        // The id and creation time always: the cursor is made of them.
        columnsFor(selectedFields(info, ['edges', 'node']), CAMPAIGN_COLUMNS, [
          'campaignId',
          'createdAt',
        ]),
      ),
    );
    return toConnection(
      rows,
      size,
      (row) => ({ createdAt: row.createdAt, id: row.campaignId }),
      toCampaign,
    );
  }

  @Mutation('draftCampaign')
  async draftCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DraftCampaignInputDto,
  ): Promise<Campaign> {
    const template = await this.templateRef(principal, input);
    return this.run(
      principal,
      {
        type: 'DraftCampaign',
        data: {
          // A retried draft with the same idempotency key lands on the same campaign.
          campaignId: input.idempotencyKey
            ? uuidFromName(`draft:${principal.tenantId}:${input.idempotencyKey}`)
            : randomUUID(),
          tenantId: principal.tenantId,
          name: input.name,
          subject: input.subject,
          fromAddress: input.fromAddress,
          fromName: input.fromName ?? undefined,
          mjmlBody: input.mjmlBody ?? '',
          listIds: input.listIds ?? [],
          ...(template ? { template } : {}),
        },
        metadata: { now: this.clock() },
      },
      input,
    );
  }

  @Mutation('reviseCampaign')
  async reviseCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ReviseCampaignInputDto,
  ): Promise<Campaign> {
    const template = await this.templateRef(principal, input);
    const changes = {
      ...Object.fromEntries(
        (['name', 'subject', 'fromAddress', 'fromName', 'mjmlBody', 'listIds'] as const)
          .filter(
            (field) =>
              input[field] !== undefined && (input[field] !== null || field === 'fromName'),
          )
          .map((field) => [field, input[field]]),
      ),
      ...(template === undefined ? {} : { template }),
    };
    return this.run(
      principal,
      {
        type: 'ReviseCampaign',
        data: { campaignId: input.id, tenantId: principal.tenantId, changes },
        metadata: { now: this.clock() },
      },
      input,
    );
  }

  @Mutation('scheduleCampaign')
  scheduleCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ScheduleCampaignInputDto,
  ): Promise<Campaign> {
    return this.run(
      principal,
      {
        type: 'ScheduleCampaign',
        data: { campaignId: input.id, tenantId: principal.tenantId, sendAt: input.sendAt },
        metadata: { now: this.clock() },
      },
      input,
    );
  }

  /** Mid-send, the messages not sent yet are cancelled too (`CampaignDelivery.cancel`). */
  @Mutation('cancelCampaign')
  async cancelCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CancelCampaignInputDto,
  ): Promise<Campaign> {
    const { position } = await this.runtime.campaigns.cancel(
      commandContextOf(principal, 'CancelCampaign', input),
      { campaignId: input.id, reason: input.reason ?? undefined, now: this.clock() },
    );
    if (position) {
      await this.runtime.projections.waitFor(
        position,
        ['campaigns', 'messages'],
        this.runtime.config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      );
    }
    return this.load(principal, input.id);
  }

  @Mutation('deleteCampaign')
  async deleteCampaign(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DeleteCampaignInputDto,
  ): Promise<CampaignDeletion> {
    await this.execute(
      principal,
      {
        type: 'DeleteCampaign',
        data: { campaignId: input.id, tenantId: principal.tenantId },
        metadata: { now: this.clock() },
      },
      input,
    );
    const row = await this.queryBus.execute(
      new GetCampaignQuery(principal.tenantId, input.id, true),
    );
    if (!row?.deletedAt) throw new ApiError('NOT_FOUND', `No campaign ${input.id}`);
    return { id: row.campaignId, revision: Number(row.lastRevision), deletedAt: row.deletedAt };
  }

  /**
   * The template revision a campaign input names, checked against the template's stream (it
   * exists, is the tenant's and is not deleted): `undefined` when the input names none, `null`
   * when it detaches one (`templateId: null`).
   */
  private async templateRef(
    principal: Principal,
    input: { templateId?: string | null; templateRevision?: number | null },
  ): Promise<CampaignTemplateRef | null | undefined> {
    if (input.templateId === undefined || input.templateId === null) {
      if (input.templateRevision != null) {
        throw new ApiError('BAD_USER_INPUT', 'templateRevision needs templateId');
      }
      return input.templateId;
    }
    return this.runtime.templates.pin(
      principal.tenantId,
      input.templateId,
      input.templateRevision ?? undefined,
    );
  }

  private async run(
    principal: Principal,
    command: CampaignCommand,
    options: CommandOptions,
  ): Promise<Campaign> {
    await this.execute(principal, command, options);
    return this.load(principal, command.data.campaignId);
  }

  private async execute(
    principal: Principal,
    command: CampaignCommand,
    options: CommandOptions,
  ): Promise<void> {
    const { campaignId } = command.data;
    await this.commandBus.execute(
      new ExecuteDomainCommand(
        toCampaignStreamId(campaignId),
        campaignDecider,
        command,
        principal,
        options,
        ['campaigns'],
      ),
    );
  }

  private async load(principal: Principal, campaignId: string): Promise<Campaign> {
    const row = await this.queryBus.execute(new GetCampaignQuery(principal.tenantId, campaignId));
    if (!row) throw new ApiError('NOT_FOUND', `No campaign ${campaignId}`);
    return toCampaign(row);
  }
}
