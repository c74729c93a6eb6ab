import { Controller, Get, Inject, Logger, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';

import type { MailpackrRuntime } from '#platform';

import { publicPage, sendPublicHtml } from '../http/public-page.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';

/**
 * One-click unsubscribe (RFC 8058), the URL in every mail's `List-Unsubscribe` header. Public: no
 * login, no cookie, no redirect. POST unsubscribes at once and is idempotent (mail clients send
 * `List-Unsubscribe=One-Click`; the confirmation page's button sends the same). GET only shows
 * that page: link scanners and prefetchers follow GETs, so a GET must never unsubscribe. Pages
 * show no personal data, and say the same for a done, repeated or erased unsubscribe.
 */
@Controller('unsubscribe')
export class UnsubscribeController {
  private readonly logger = new Logger('Unsubscribe');

  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':token')
  confirm(@Param('token') token: string, @Res() res: Response): void {
    if (!this.runtime.audience.unsubscribeLinks.verify(token, this.clock())) {
      sendPublicHtml(res, 400, INVALID);
      return;
    }
    sendPublicHtml(
      res,
      200,
      publicPage(
        'Unsubscribe',
        `<p>Do you want to stop receiving these emails?</p>
<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>`,
      ),
    );
  }

  @Post(':token')
  async unsubscribe(@Param('token') token: string, @Res() res: Response): Promise<void> {
    try {
      const result = await this.runtime.audience.unsubscribeOneClick(token, this.clock());
      if (!result) {
        sendPublicHtml(res, 400, INVALID);
        return;
      }
      sendPublicHtml(res, 200, DONE);
    } catch (error) {
      // Never the token in the log (it is a capability); the error names ids only.
      this.logger.error(`One-click unsubscribe failed: ${(error as Error).message}`);
      sendPublicHtml(
        res,
        503,
        publicPage('Please try again', '<p>Something went wrong on our side.</p>'),
        {
          headers: { 'retry-after': '60' },
        },
      );
    }
  }
}

const INVALID = publicPage(
  'This link does not work',
  '<p>The unsubscribe link is not valid. Use the link from the most recent email, or reply to it to unsubscribe.</p>',
);
const DONE = publicPage(
  'You are unsubscribed',
  '<p>You will not receive these emails any more.</p>',
);
