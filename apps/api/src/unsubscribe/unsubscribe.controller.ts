import { Controller, Get, Inject, Logger, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';

import type { MailpackrRuntime } from '#platform';

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
      send(res, 400, INVALID);
      return;
    }
    send(
      res,
      200,
      page(
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
        send(res, 400, INVALID);
        return;
      }
      send(res, 200, DONE);
    } catch (error) {
      // Never the token in the log (it is a capability); the error names ids only.
      this.logger.error(`One-click unsubscribe failed: ${(error as Error).message}`);
      send(res, 503, page('Please try again', '<p>Something went wrong on our side.</p>'), {
        'retry-after': '60',
      });
    }
  }
}

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>
${body}
</body></html>
`;

const INVALID = page(
  'This link does not work',
  '<p>The unsubscribe link is not valid. Use the link from the most recent email, or reply to it to unsubscribe.</p>',
);
const DONE = page('You are unsubscribed', '<p>You will not receive these emails any more.</p>');

const send = (
  res: Response,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void => {
  res
    .status(status)
    .set({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      ...headers,
    })
    .send(html);
};
