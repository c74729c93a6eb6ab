import type { Response } from 'express';

/**
 * A small page of our own for the public links in mail (unsubscribe, web view): no personal
 * data in it, only the title and text given.
 */
export const publicPage = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>
${body}
</body></html>
`;

/** Our pages: their own styles, a form posting back at most, nothing that runs. */
export const OWN_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/**
 * Sends HTML to someone following a link from a mail: never cached, never indexed, no referrer
 * (the URL holds a capability token), and the given content security policy.
 */
export const sendPublicHtml = (
  res: Response,
  status: number,
  html: string,
  options: { csp?: string; headers?: Record<string, string> } = {},
): void => {
  res
    .status(status)
    .set({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      'content-security-policy': options.csp ?? OWN_PAGE_CSP,
      ...options.headers,
    })
    .send(html);
};
