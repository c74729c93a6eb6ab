import { campaignDecider, messageDecider, toCampaignStreamId, toMessageStreamId } from '#domain';

import type { Audience } from '../audience/audience.service.js';
import type { CommandExecutor } from '../commands/command-executor.js';
import type { MessageRenderer } from '../delivery/message-renderer.js';
import type { WebViewLinks } from './web-view-links.js';

/** What a web-view link shows: the message, or why it cannot. */
export type WebViewPage =
  | { kind: 'message'; subject: string; html: string }
  /** Forged, altered or expired link, or no such message. */
  | { kind: 'invalid' }
  /** The message existed but is gone: the recipient was erased, or the campaign cancelled or deleted. */
  | { kind: 'gone' };

/**
 * The "view in your browser" page of a campaign message (issue 4, item 1): the same rendering as
 * the mail (`MessageRenderer`), from the event history, for the holder of the signed link. An
 * erased recipient's message is gone for good (their key is shredded: nothing can be rendered);
 * so is a cancelled or deleted campaign's. Nothing here logs.
 */
export class WebView {
  constructor(
    private readonly deps: {
      executor: CommandExecutor;
      audience: Audience;
      renderer: MessageRenderer;
      links: WebViewLinks;
    },
  ) {}

  async page(token: string, now: Date): Promise<WebViewPage> {
    const claims = this.deps.links.verify(token, now);
    if (!claims) return { kind: 'invalid' };
    const { executor, audience } = this.deps;
    const message = await executor.read(toMessageStreamId(claims.m), messageDecider);
    if (message.status === 'Empty' || message.tenantId !== claims.t) return { kind: 'invalid' };
    const campaign = await executor.read(toCampaignStreamId(message.campaignId), campaignDecider);
    if (
      campaign.status !== 'Sending' &&
      campaign.status !== 'Paused' &&
      campaign.status !== 'Completed'
    ) {
      return { kind: 'gone' };
    }
    const recipient = (await audience.loadMany([message.recipientId])).get(message.recipientId);
    const state = recipient?.state;
    if (state?.status !== 'Active' || state.tenantId !== claims.t) return { kind: 'gone' };
    const rendered = await this.deps.renderer.render(campaign, message, state, {
      unsubscribeUrl: audience.unsubscribeLinks.url(
        {
          tenantId: message.tenantId,
          recipientId: message.recipientId,
          listId: message.listId,
          campaignId: message.campaignId,
        },
        now,
      ),
      webViewUrl: this.deps.links.url(
        { tenantId: message.tenantId, messageId: message.messageId },
        now,
      ),
    });
    return { kind: 'message', subject: campaign.subject, html: rendered.html };
  }
}
