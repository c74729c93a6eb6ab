import type mjml2html from 'mjml';

import { TEMPLATE_LIMITS, TemplateError, utf8ByteLength } from '#domain';

import { checkMergeFields } from './merge-fields.js';

/** One revision compiled: the HTML (merge fields still in place) and the fields it uses. */
export interface CompiledTemplate {
  html: string;
  mergeFields: string[];
}

/** One problem MJML's validator found, where the tenant wrote it. */
interface MjmlProblem {
  line: number | null;
  tagName: string | null;
  message: string;
}

/**
 * Validates a template strictly and compiles it to HTML, once per revision (at save time):
 *
 * 1. merge fields, with Handlebars' parser over the MJML the tenant wrote (so lines are theirs);
 * 2. MJML with `validationLevel: 'strict'`: any validation error rejects the template, with the
 *    MJML message and line (`mj-include` stays off: a template never reads files);
 * 3. the merge fields again over the compiled HTML, which must use no field the MJML did not:
 *    the HTML is what gets filled per recipient.
 *
 * Every failure is a typed `INVALID_TEMPLATE` error whose message and `details` carry the line.
 */
/**
 * MJML is loaded on the first compilation, not at start: it is about 15 MB of heap and 50 MB of
 * RSS that a process which never saves a template (an import, most API processes) would carry.
 */
let mjml: Promise<{ default: typeof mjml2html }> | undefined;
const loadMjml = () => (mjml ??= import('mjml'));

export class TemplateCompiler {
  async compile(mjml: string): Promise<CompiledTemplate> {
    if (
      typeof mjml !== 'string' ||
      mjml.length > TEMPLATE_LIMITS.mjmlMaxBytes ||
      utf8ByteLength(mjml) > TEMPLATE_LIMITS.mjmlMaxBytes
    ) {
      throw new TemplateError(
        'INVALID_TEMPLATE',
        `mjml must be an <mjml> document of at most ${TEMPLATE_LIMITS.mjmlMaxBytes} bytes`,
      );
    }
    const sourceFields = checkMergeFields(mjml, 'MJML');
    const html = await this.mjmlToHtml(mjml);
    const htmlFields = checkMergeFields(html, 'Compiled HTML');
    const stray = htmlFields.filter((field) => !sourceFields.includes(field));
    if (stray.length > 0) {
      throw new TemplateError(
        'INVALID_TEMPLATE',
        `Compiled HTML uses merge fields the MJML does not: ${stray.join(', ')}`,
        { line: null, problems: [] },
      );
    }
    return { html, mergeFields: htmlFields };
  }

  private async mjmlToHtml(mjml: string): Promise<string> {
    const { default: toHtml } = await loadMjml();
    let result: { html: string; errors?: unknown[] };
    try {
      result = await toHtml(mjml, {
        validationLevel: 'strict',
        // Never read files on a tenant's behalf (the default in mjml 5; said here on purpose).
        ignoreIncludes: true,
        keepComments: false,
        minify: false,
        beautify: false,
      });
    } catch (error) {
      throw invalidMjml(problemsOf(error));
    }
    // Strict mode throws on validation errors; anything reported anyway is refused all the same.
    const reported = (result.errors ?? []).map(toProblem);
    if (reported.length > 0) throw invalidMjml(reported);
    if (typeof result.html !== 'string' || result.html.trim() === '') {
      throw invalidMjml([{ line: null, tagName: null, message: 'MJML produced no HTML' }]);
    }
    return result.html;
  }
}

const toProblem = (raw: unknown): MjmlProblem => {
  const { line, tagName, message, formattedMessage } = (raw ?? {}) as Record<string, unknown>;
  return {
    line: typeof line === 'number' ? line : null,
    tagName: typeof tagName === 'string' ? tagName : null,
    message:
      typeof message === 'string'
        ? message
        : typeof formattedMessage === 'string'
          ? formattedMessage
          : String(raw),
  };
};

/** MJML's `ValidationError` carries every problem in `errors`; a parse failure is a plain Error. */
const problemsOf = (error: unknown): MjmlProblem[] => {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(toProblem);
  const message = error instanceof Error ? error.message : String(error);
  const line = /line (\d+)/i.exec(message)?.[1];
  return [{ line: line ? Number(line) : null, tagName: null, message }];
};

const invalidMjml = (problems: MjmlProblem[]): TemplateError => {
  const first = problems[0]!;
  const at = first.line === null ? '' : ` line ${first.line}`;
  const tag = first.tagName ? ` (${first.tagName})` : '';
  return new TemplateError('INVALID_TEMPLATE', `MJML${at}${tag}: ${first.message}`, {
    line: first.line,
    problems,
  });
};
