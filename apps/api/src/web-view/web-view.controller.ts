import { Controller, Get, Inject, Logger, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import type { MailpackrRuntime } from '#platform';

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
        send(res, 200, page.html);
      } else if (page.kind === 'gone') {
        send(res, 410, notice('This message is no longer available', 'It was removed.'));
      } else {
        send(res, 404, notice('This link does not work', 'Use the link from the email itself.'));
      }
    } catch (error) {
      // Never the token in the log (it is a capability).
      this.logger.error(`Web view failed: ${(error as Error).message}`);
      send(res, 503, notice('Please try again', 'Something went wrong on our side.'), {
        'retry-after': '60',
      });
    }
  }
}

const notice = (title: string, text: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>
</head><body><h1>${title}</h1><p>${text}</p></body></html>
`;

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
      // The message's own styles and images, nothing that runs.
      'content-security-policy':
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https:; frame-ancestors 'none'",
      ...headers,
    })
    .send(html);
};
