import Handlebars from 'handlebars';
import { convert, type HtmlToTextOptions } from 'html-to-text';

import type { RecipientAttributes } from '#domain';

import { inspectMergeFields } from './merge-fields.js';

/** What one recipient's copy is filled with. Missing values render as empty text. */
export interface MergeValues {
  firstName: string;
  lastName: string;
  name: string;
  email: string;
  attributes: RecipientAttributes;
  unsubscribeUrl: string;
  webViewUrl: string;
}

export interface RenderedMessage {
  html: string;
  /** The plain-text part, derived from the HTML. */
  text: string;
}

/** One template revision: its compiled HTML never changes, so neither does its precompilation. */
export interface TemplateRevisionKey {
  templateId: string;
  revision: number;
}

type Fill = (values: MergeValues) => string;

interface Precompiled {
  html: Fill;
  /** The plain text with the merge fields still in it, filled per recipient without escaping. */
  text: Fill | undefined;
}

export const DEFAULT_TEMPLATE_CACHE_SIZE = 500;

/**
 * Plain text as mail clients expect it: links as "text [url]", no images, headings not
 * upper-cased (that would also upper-case merge fields), no hard wrapping (wrapping could break a
 * merge field in two).
 */
const TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'block' },
    { selector: 'th', format: 'block' },
  ],
};

/** The plain-text part of an HTML message. */
export const htmlToPlainText = (html: string): string => convert(html, TEXT_OPTIONS).trim();

/**
 * Fills a revision's compiled HTML per recipient. The Handlebars template is compiled once per
 * (template, revision) and kept in a bounded LRU cache, so a campaign pays MJML and Handlebars
 * compilation once and a few microseconds per recipient. Values are HTML-escaped by Handlebars in
 * the HTML part and inserted as they are in the plain-text part.
 *
 * The plain text is derived once per revision from the HTML with its merge fields in place; when
 * that text does not hold exactly the same merge fields (the conversion changed one), each copy's
 * text is derived from its filled HTML instead: slower, never wrong.
 */
export class TemplateRenderer {
  readonly #cache = new Map<string, Precompiled>();
  readonly #handlebars = Handlebars.create();

  constructor(private readonly cacheSize = DEFAULT_TEMPLATE_CACHE_SIZE) {}

  /** One recipient's copy of a revision; `html` is that revision's compiled HTML. */
  render(key: TemplateRevisionKey, html: string, values: MergeValues): RenderedMessage {
    const compiled = this.precompiled(key, html);
    const filledHtml = compiled.html(values);
    return {
      html: filledHtml,
      text: compiled.text ? compiled.text(values) : htmlToPlainText(filledHtml),
    };
  }

  /** Only the HTML part (what the benchmark measures per recipient). */
  fillHtml(key: TemplateRevisionKey, html: string, values: MergeValues): string {
    return this.precompiled(key, html).html(values);
  }

  /** Revisions currently cached. */
  get size(): number {
    return this.#cache.size;
  }

  private precompiled(key: TemplateRevisionKey, html: string): Precompiled {
    const cacheKey = `${key.templateId}:${key.revision}`;
    const hit = this.#cache.get(cacheKey);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.#cache.delete(cacheKey);
      this.#cache.set(cacheKey, hit);
      return hit;
    }
    const entry = this.precompile(html);
    this.#cache.set(cacheKey, entry);
    while (this.#cache.size > this.cacheSize) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return entry;
  }

  private precompile(html: string): Precompiled {
    const htmlFields = inspectMergeFields(html);
    // Saved revisions were checked at save time; this guards a cache fed from anywhere else.
    if (htmlFields.problems.length > 0) {
      throw new Error(`Template HTML does not check: ${htmlFields.problems[0]!.message}`);
    }
    const textSource = htmlToPlainText(html);
    const textFields = inspectMergeFields(textSource);
    const sameFields =
      textFields.problems.length === 0 &&
      textFields.fields.length === htmlFields.fields.length &&
      textFields.fields.every((f) => htmlFields.fields.includes(f));
    return {
      html: this.compile(html, false),
      text: sameFields ? this.compile(textSource, true) : undefined,
    };
  }

  private compile(source: string, noEscape: boolean): Fill {
    const template = this.#handlebars.compile<MergeValues>(source, {
      noEscape,
      strict: false,
      data: false,
      knownHelpers: { if: true, unless: true },
      knownHelpersOnly: true,
    });
    template({} as MergeValues); // compile now, not on the first recipient
    return template;
  }
}
