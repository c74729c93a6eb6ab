import type { ActiveRecipient, Campaign, MessageTemplateRef } from '#domain';

import type { RenderedMessage } from '../templates/template-renderer.js';
import { type TemplateService, mergeValuesOf } from '../templates/template.service.js';

/** Compiled bodies kept (template revisions and campaigns' own MJML). */
const MAX_CACHED_BODIES = 200;

/** A launched campaign: its content is fixed (it cannot be revised once started). */
export type LaunchedCampaign = Extract<Campaign, { status: 'Sending' | 'Paused' | 'Completed' }>;

/**
 * One recipient's copy of a campaign message: the pinned template revision (or the campaign's own
 * MJML, compiled once), filled with the recipient's merge fields and the message's links. Used by
 * the delivery worker for the mail and by the web view for the same message in a browser, so
 * both show the same thing. Compiled bodies are cached; concurrent renders of one body wait for
 * the same load.
 */
export class MessageRenderer {
  readonly #bodies = new Map<string, Promise<string>>();

  constructor(private readonly templates: TemplateService) {}

  async render(
    campaign: LaunchedCampaign,
    message: { template: MessageTemplateRef | null },
    recipient: Pick<ActiveRecipient, 'email' | 'name' | 'attributes'>,
    links: { unsubscribeUrl: string; webViewUrl: string },
  ): Promise<RenderedMessage> {
    const values = mergeValuesOf(recipient, links);
    const { renderer } = this.templates;
    const template: MessageTemplateRef | null = message.template ?? campaign.template ?? null;
    if (template) {
      const html = await this.#body(
        `template:${template.templateId}:${template.revision}`,
        async () => {
          const content = await this.templates.revision(
            campaign.tenantId,
            template.templateId,
            template.revision,
          );
          return content.html;
        },
      );
      return renderer.render(template, html, values);
    }
    const html = await this.#body(`campaign:${campaign.campaignId}`, async () => {
      const compiled = await this.templates.compiler.compile(campaign.mjmlBody);
      return compiled.html;
    });
    return renderer.render({ templateId: campaign.campaignId, revision: 0 }, html, values);
  }

  /** A compiled body from the cache, or loaded once. */
  #body(key: string, load: () => Promise<string>): Promise<string> {
    const hit = this.#bodies.get(key);
    if (hit) return hit;
    const loading = load();
    this.#bodies.set(key, loading);
    void loading.catch(() => this.#bodies.delete(key));
    while (this.#bodies.size > MAX_CACHED_BODIES) {
      this.#bodies.delete(this.#bodies.keys().next().value!);
    }
    return loading;
  }
}
