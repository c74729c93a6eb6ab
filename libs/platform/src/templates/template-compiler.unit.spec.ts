import { describe, expect, it } from '@jest/globals';

import { TEMPLATE_LIMITS, TemplateError } from '#domain';

import { inspectMergeFields } from './merge-fields.js';
import { TemplateCompiler } from './template-compiler.js';

/** An MJML document whose `text` sits on line 5 (and `extra` starts on line 6). */
const mjml = (text: string, extra = ''): string =>
  [
    '<mjml>',
    '  <mj-body>',
    '    <mj-section>',
    '      <mj-column>',
    `        <mj-text>${text}</mj-text>`,
    ...(extra ? [extra] : []),
    '      </mj-column>',
    '    </mj-section>',
    '  </mj-body>',
    '</mjml>',
  ].join('\n');

const compiler = new TemplateCompiler();

const rejection = async (source: string): Promise<TemplateError> => {
  try {
    await compiler.compile(source);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('Expected the template to be refused');
};

describe('TemplateCompiler', () => {
  describe('When the MJML is valid', () => {
    it('should compile it to HTML with its merge fields in place, and list them', async () => {
      const compiled = await compiler.compile(
        mjml(
          'Hello {{firstName}} {{lastName}} ({{email}}) {{#if attributes.vip}}VIP{{/if}}',
          '        <mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>',
        ),
      );
      expect(compiled.html).toMatch(/^<!doctype html>/i);
      expect(compiled.html).toContain('Hello {{firstName}} {{lastName}} ({{email}})');
      expect(compiled.html).toContain('href="{{unsubscribeUrl}}"');
      expect(compiled.html).not.toContain('<mj-');
      expect(compiled.mergeFields).toEqual([
        'firstName',
        'lastName',
        'email',
        'attributes.vip',
        'unsubscribeUrl',
      ]);
    });

    it('should take a template without merge fields', async () =>
      expect((await compiler.compile(mjml('Plain'))).mergeFields).toEqual([]));

    it('should be deterministic: the same MJML, the same HTML', async () =>
      expect((await compiler.compile(mjml('Same {{name}}'))).html).toBe(
        (await compiler.compile(mjml('Same {{name}}'))).html,
      ));
  });

  describe('When the MJML is invalid', () => {
    it('should refuse an unknown tag with the MJML message and its line', async () => {
      const error = await rejection(mjml('Hi', '        <mj-nope>Nope</mj-nope>'));
      expect(error).toMatchObject({ code: 'INVALID_TEMPLATE', kind: 'BAD_USER_INPUT' });
      expect(error.details).toMatchObject({ line: 6 });
      expect(error.message).toMatch(/^MJML line 6/);
      expect(error.message).toContain('mj-nope');
    });

    it('should refuse an attribute MJML does not know, with its line', async () => {
      const error = await rejection(mjml('Hi', '        <mj-button colour="red">Go</mj-button>'));
      expect(error.details).toMatchObject({ line: 6 });
      expect(error.message).toContain('colour');
    });

    it('should refuse a document over the size limit before compiling it', async () => {
      const error = await rejection(mjml('x'.repeat(TEMPLATE_LIMITS.mjmlMaxBytes)));
      expect(error.code).toBe('INVALID_TEMPLATE');
    });
  });

  describe('When the merge fields are wrong', () => {
    it.each([
      ['an unknown field', 'Hi {{favouriteColour}}', 'Unknown merge field "favouriteColour"'],
      ['a triple-stash', 'Hi {{{firstName}}}', 'unescaped HTML'],
      ['raw output with &', 'Hi {{& firstName}}', 'unescaped HTML'],
      ['a partial', 'Hi {{> footer}}', 'Partials'],
      ['a helper call', 'Hi {{uppercase firstName}}', 'helpers are not allowed'],
      ['a block helper', '{{#each attributes}}{{this}}{{/each}}', '{{#each}} blocks'],
      ['a with block', '{{#with attributes}}{{plan}}{{/with}}', '{{#with}} blocks'],
      ['an if on an unknown field', '{{#if secret}}x{{/if}}', 'Unknown merge field "secret"'],
      ['an if with two arguments', '{{#if firstName lastName}}x{{/if}}', 'exactly one'],
      ['a sub-expression', '{{#if (eq firstName "x")}}x{{/if}}', 'not a literal'],
      ['a parent path', '{{../firstName}}', 'Unknown merge field'],
      ['this', '{{this.firstName}}', 'Unknown merge field'],
      ['a data variable', '{{@root.firstName}}', 'Unknown merge field'],
      ['a nested attribute path', '{{attributes.a.b}}', 'Unknown merge field'],
      ['a literal', '{{"text"}}', 'not a literal'],
      ['a decorator', '{{* decorate}}', 'Decorators'],
      ['an unclosed mustache', 'Hi {{firstName', 'syntax error'],
      ['a block closed by another', '{{#if firstName}}x{{/unless}}', 'syntax error'],
    ])('should refuse %s with line 5', async (_, text, message) => {
      const error = await rejection(mjml(text));
      expect(error).toMatchObject({ code: 'INVALID_TEMPLATE', kind: 'BAD_USER_INPUT' });
      expect(error.details).toMatchObject({ line: 5 });
      expect(error.message).toContain('line 5');
      expect(error.message).toContain(message);
    });

    it('should report every problem, each with its line and column', async () => {
      const error = await rejection(mjml('{{nope}}', '        <mj-text>{{{email}}}</mj-text>'));
      expect(error.details?.problems).toEqual([
        expect.objectContaining({ line: 5, column: 20 }), // the field name, after "{{"
        expect.objectContaining({ line: 6, column: 18 }),
      ]);
    });

    it('should accept every allowed form', () =>
      expect(
        inspectMergeFields(
          '{{firstName}} {{ lastName }} {{~name~}} {{email}} {{attributes.plan}} ' +
            '{{attributes.[first visit]}} {{unsubscribeUrl}} {{webViewUrl}} {{! a comment }} ' +
            '{{#if firstName}}a{{else if lastName}}b{{else}}c{{/if}} {{#unless email}}d{{/unless}} ' +
            '\\{{literal}}',
        ),
      ).toEqual({
        fields: [
          'firstName',
          'lastName',
          'name',
          'email',
          'attributes.plan',
          'attributes.first visit',
          'unsubscribeUrl',
          'webViewUrl',
        ],
        problems: [],
      }));
  });
});
