import {
  type CampaignTemplateRef,
  type ActiveRecipient,
  RecipientError,
  type Template,
  type TemplateCommand,
  TemplateError,
  type TemplateEvent,
  templateDecider,
  toTemplateStreamId,
} from '#domain';
import type { Position } from '#event-store';
import type { ProjectionRunner } from '#projections';

import type { Audience } from '../audience/audience.service.js';
import type {
  CommandContext,
  CommandExecutor,
  CommandResult,
} from '../commands/command-executor.js';
import { TemplateCompiler } from './template-compiler.js';
import { type MergeValues, type RenderedMessage, TemplateRenderer } from './template-renderer.js';

export interface TemplateServiceDependencies {
  executor: CommandExecutor;
  audience: Audience;
  projections: ProjectionRunner;
  readYourWritesTimeoutMs: number;
  /** Base of the links in mail (`AppConfig.publicUrl`). */
  publicUrl: string;
  compiler?: TemplateCompiler;
  renderer?: TemplateRenderer;
}

/** Read models a template command's answer is read from. */
export const TEMPLATE_READ_MODELS = ['templates'] as const;

/** One saved revision of a template, as the log holds it. */
export interface TemplateRevisionContent {
  templateId: string;
  tenantId: string;
  revision: number;
  name: string;
  mjml: string;
  html: string;
  mergeFields: readonly string[];
}

export type ActiveTemplate = Extract<Template, { status: 'Active' }>;

export interface TemplatePreview extends RenderedMessage {
  revision: number;
}

/**
 * The merge values of a recipient: `firstName` is the first word of the name, `lastName` the
 * rest; a custom attribute is `attributes.<key>`.
 */
export const mergeValuesOf = (
  recipient: Pick<ActiveRecipient, 'email' | 'name' | 'attributes'>,
  links: Pick<MergeValues, 'unsubscribeUrl' | 'webViewUrl'>,
): MergeValues => {
  const name = (recipient.name ?? '').trim();
  const space = name.search(/\s/);
  return {
    firstName: space < 0 ? name : name.slice(0, space),
    lastName: space < 0 ? '' : name.slice(space).trim(),
    name,
    email: recipient.email,
    attributes: recipient.attributes,
    ...links,
  };
};

/**
 * Templates: MJML checked strictly and compiled to HTML once per revision when it is saved (the
 * HTML is part of the revision's event), and filled per recipient from a precompiled template.
 * Each state change is one command on the template's stream, decided by `templateDecider`;
 * compiling needs libraries, so it happens here, before the command is built.
 *
 * Nothing here logs: template content is the tenant's, recipient values are personal data.
 */
export class TemplateService {
  readonly compiler: TemplateCompiler;
  readonly renderer: TemplateRenderer;
  readonly #deps: TemplateServiceDependencies;

  constructor(deps: TemplateServiceDependencies) {
    this.#deps = deps;
    this.compiler = deps.compiler ?? new TemplateCompiler();
    this.renderer = deps.renderer ?? new TemplateRenderer();
  }

  async create(
    context: CommandContext,
    input: { templateId: string; name: string; mjml: string; now: Date },
  ): Promise<CommandResult<Template, TemplateEvent>> {
    const { html, mergeFields } = await this.compiler.compile(input.mjml);
    return this.execute(context, {
      type: 'CreateTemplate',
      data: {
        templateId: input.templateId,
        tenantId: context.tenantId,
        name: input.name,
        mjml: input.mjml,
        html,
        mergeFields,
      },
      metadata: { now: input.now },
    });
  }

  /** A new revision; `expectedRevision` is the template revision the tenant edited. */
  async revise(
    context: CommandContext,
    input: {
      templateId: string;
      name?: string;
      mjml?: string;
      expectedRevision?: number;
      now: Date;
    },
  ): Promise<CommandResult<Template, TemplateEvent>> {
    const compiled = input.mjml === undefined ? undefined : await this.compiler.compile(input.mjml);
    return this.execute(context, {
      type: 'ReviseTemplate',
      data: {
        templateId: input.templateId,
        tenantId: context.tenantId,
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(compiled ? { mjml: input.mjml, ...compiled } : {}),
        ...(input.expectedRevision === undefined
          ? {}
          : { expectedRevision: input.expectedRevision }),
      },
      metadata: { now: input.now },
    });
  }

  delete(
    context: CommandContext,
    input: { templateId: string; now: Date },
  ): Promise<CommandResult<Template, TemplateEvent>> {
    return this.execute(context, {
      type: 'DeleteTemplate',
      data: { templateId: input.templateId, tenantId: context.tenantId },
      metadata: { now: input.now },
    });
  }

  /** The current revision of a template of this tenant, from the log. */
  async current(tenantId: string, templateId: string): Promise<ActiveTemplate> {
    const state = await this.#deps.executor.read(toTemplateStreamId(templateId), templateDecider);
    return activeOf(state, tenantId);
  }

  /**
   * The reference a campaign pins: the revision given (which must exist), or the current one.
   * Unknown, deleted and other tenants' templates are refused.
   */
  async pin(tenantId: string, templateId: string, revision?: number): Promise<CampaignTemplateRef> {
    const template = await this.current(tenantId, templateId);
    if (revision !== undefined && (revision < 1 || revision > template.revision)) {
      throw new TemplateError(
        'TEMPLATE_REVISION_NOT_FOUND',
        `Template ${templateId} has revisions 1 to ${template.revision}`,
      );
    }
    return { templateId: template.templateId, revision: revision ?? template.revision };
  }

  /** One saved revision (what a campaign pinned to it sends), from the log. */
  async revision(
    tenantId: string,
    templateId: string,
    revision: number,
  ): Promise<TemplateRevisionContent> {
    const history = await this.#deps.executor.history(toTemplateStreamId(templateId));
    const events = history.map(
      ({ recorded, data }) => ({ type: recorded.type, data }) as TemplateEvent,
    );
    const state = events.reduce(templateDecider.evolve, templateDecider.initialState());
    activeOf(state, tenantId);
    for (const event of events) {
      if (event.type === 'TemplateDeleted' || event.data.revision !== revision) continue;
      const { data } = event;
      return {
        templateId: data.templateId,
        tenantId: data.tenantId,
        revision: data.revision,
        name: data.name,
        mjml: data.mjml,
        html: data.html,
        mergeFields: data.mergeFields,
      };
    }
    throw new TemplateError('TEMPLATE_REVISION_NOT_FOUND', `No revision ${revision}`);
  }

  /**
   * The current revision filled for one recipient, as they would receive it. The links are inert
   * placeholders (a preview must never hold a working unsubscribe token). Erased, unknown and
   * other tenants' recipients are `RECIPIENT_NOT_FOUND`.
   */
  async preview(
    tenantId: string,
    input: { templateId: string; recipientId: string },
  ): Promise<TemplatePreview> {
    const template = await this.current(tenantId, input.templateId);
    const loaded = (await this.#deps.audience.loadMany([input.recipientId])).get(input.recipientId);
    const recipient = loaded?.state;
    if (!recipient || recipient.status !== 'Active' || recipient.tenantId !== tenantId) {
      throw new RecipientError('RECIPIENT_NOT_FOUND', `No recipient ${input.recipientId}`);
    }
    const base = this.#deps.publicUrl;
    const values = mergeValuesOf(recipient, {
      unsubscribeUrl: `${base}/unsubscribe/preview`,
      webViewUrl: `${base}/view/preview`,
    });
    const rendered = this.renderer.render(
      { templateId: template.templateId, revision: template.revision },
      template.html,
      values,
    );
    return { ...rendered, revision: template.revision };
  }

  /** Read your own writes: wait until the template read model has applied `position`. */
  async waitForReadModels(position: Position | undefined): Promise<void> {
    if (!position) return;
    await this.#deps.projections.waitFor(
      position,
      TEMPLATE_READ_MODELS,
      this.#deps.readYourWritesTimeoutMs,
    );
  }

  private async execute(
    context: CommandContext,
    command: TemplateCommand,
  ): Promise<CommandResult<Template, TemplateEvent>> {
    const result = await this.#deps.executor.handle(
      toTemplateStreamId(command.data.templateId),
      templateDecider,
      command,
      context,
    );
    await this.waitForReadModels(result.position);
    return result;
  }
}

const activeOf = (state: Template, tenantId: string): ActiveTemplate => {
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new TemplateError('TEMPLATE_NOT_FOUND');
  }
  if (state.status === 'Deleted') throw new TemplateError('TEMPLATE_DELETED');
  return state;
};
