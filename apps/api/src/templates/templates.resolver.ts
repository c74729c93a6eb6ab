import { randomUUID } from 'node:crypto';

import { Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';

import { TemplateError } from '#domain';
import { type MailpackrRuntime, uuidFromName } from '#platform';
import type { TemplateEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { commandContextOf } from '../commands/execute-domain-command.js';
import {
  type Template,
  type TemplateConnection,
  type TemplateDeletion,
  type TemplatePreview,
} from '../graphql/graphql.generated.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { CreateTemplateInputDto, ReviseTemplateInputDto } from './template.inputs.js';
import { GetTemplateQuery, ListTemplatesQuery } from './template.queries.js';

export const toTemplate = (row: TemplateEntity): Template => ({
  id: row.templateId,
  name: row.name,
  revision: row.revision,
  mjml: row.mjml,
  html: row.html,
  mergeFields: row.mergeFields,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/**
 * Templates. Commands go through the runtime's `TemplateService`, which compiles and checks the
 * MJML before its single-stream command and waits for the read model; reads come from the
 * `templates` read model.
 */
@Resolver('Template')
export class TemplatesResolver {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('template')
  template(@CurrentPrincipal() principal: Principal, @Args('id') id: string): Promise<Template> {
    return this.load(principal, assertUuid(id, 'Template'));
  }

  @Query('templates')
  async templates(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
  ): Promise<TemplateConnection> {
    const size = pageSize(first);
    const rows = await this.queryBus.execute(
      new ListTemplatesQuery(principal.tenantId, size, decodeCursor(after)),
    );
    return toConnection(
      rows,
      size,
      (row) => ({ createdAt: row.createdAt, id: row.templateId }),
      toTemplate,
    );
  }

  @Query('previewTemplate')
  previewTemplate(
    @CurrentPrincipal() principal: Principal,
    @Args('templateId') templateId: string,
    @Args('recipientId') recipientId: string,
  ): Promise<TemplatePreview> {
    return this.runtime.templates.preview(principal.tenantId, {
      templateId: assertUuid(templateId, 'Template'),
      recipientId: assertUuid(recipientId, 'Recipient'),
    });
  }

  @Mutation('createTemplate')
  async createTemplate(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateTemplateInputDto,
  ): Promise<Template> {
    // A retried create with the same idempotency key lands on the same template.
    const templateId = input.idempotencyKey
      ? uuidFromName(`template:${principal.tenantId}:${input.idempotencyKey}`)
      : randomUUID();
    await this.runtime.templates.create(
      commandContextOf(principal, 'CreateTemplate', { idempotencyKey: input.idempotencyKey }),
      { templateId, name: input.name, mjml: input.mjml, now: this.clock() },
    );
    return this.load(principal, templateId);
  }

  @Mutation('reviseTemplate')
  async reviseTemplate(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ReviseTemplateInputDto,
  ): Promise<Template> {
    // `expectedRevision` is the template revision (checked by the decider), not the stream's.
    await this.runtime.templates.revise(
      commandContextOf(principal, 'ReviseTemplate', { idempotencyKey: input.idempotencyKey }),
      {
        templateId: input.id,
        name: input.name ?? undefined,
        mjml: input.mjml ?? undefined,
        expectedRevision: input.expectedRevision ?? undefined,
        now: this.clock(),
      },
    );
    return this.load(principal, input.id);
  }

  @Mutation('deleteTemplate')
  async deleteTemplate(
    @CurrentPrincipal() principal: Principal,
    @Args('id') id: string,
  ): Promise<TemplateDeletion> {
    const templateId = assertUuid(id, 'Template');
    await this.runtime.templates.delete(commandContextOf(principal, 'DeleteTemplate'), {
      templateId,
      now: this.clock(),
    });
    const row = await this.queryBus.execute(
      new GetTemplateQuery(principal.tenantId, templateId, true),
    );
    if (!row?.deletedAt) throw new TemplateError('TEMPLATE_NOT_FOUND');
    return { id: row.templateId, deletedAt: row.deletedAt };
  }

  private async load(principal: Principal, templateId: string): Promise<Template> {
    const row = await this.queryBus.execute(new GetTemplateQuery(principal.tenantId, templateId));
    if (!row) throw new TemplateError('TEMPLATE_NOT_FOUND', `No template ${templateId}`);
    return toTemplate(row);
  }
}
