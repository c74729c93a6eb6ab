import { Controller, Get, Inject, Logger, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import type { MailpackrRuntime } from '#platform';

import { publicPage, sendPublicHtml } from '../http/public-page.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * "View in your browser": `GET /view/<token>`, the link in every campaign message
 * (`{{webViewUrl}}`). Public (the signed token is the capability), no cookie, never cached or
 * indexed, and the page may load images but run nothing. A forged or expired link is 404; a
 * message whose recipient was erased or whose campaign was cancelled or deleted is 410.
 */
@Controller('view')
export class WebViewController {
  private readonly logger = new Logger('WebView');

  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':token')
  async view(@Param('token') token: string, @Res() res: Response): Promise<void> {
    try {
      const page = await this.runtime.webView.page(token, this.clock());
      if (page.kind === 'message') {
        sendPublicHtml(res, 200, page.html, { csp: MESSAGE_CSP });
      } else if (page.kind === 'gone') {
        sendPublicHtml(res, 410, notice('This message is no longer available', 'It was removed.'));
      } else {
        sendPublicHtml(
          res,
          404,
          notice('This link does not work', 'Use the link from the email itself.'),
        );
      }
    } catch (error) {
      // Never the token in the log (it is a capability).
      this.logger.error(`Web view failed: ${(error as Error).message}`);
      sendPublicHtml(res, 503, notice('Please try again', 'Something went wrong on our side.'), {
        headers: { 'retry-after': '60' },
      });
    }
  }
}

const notice = (title: string, text: string): string => publicPage(title, `<p>${text}</p>`);

/** The message's own styles, images and fonts; nothing that runs, no form. */
const MESSAGE_CSP =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https:; frame-ancestors 'none'";
