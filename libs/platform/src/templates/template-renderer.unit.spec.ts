import { describe, expect, it } from '@jest/globals';

import { mergeValuesOf } from './template.service.js';
import { TemplateCompiler } from './template-compiler.js';
import { type MergeValues, TemplateRenderer, htmlToPlainText } from './template-renderer.js';

const values = (overrides: Partial<MergeValues> = {}): MergeValues => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  name: 'Ada Lovelace',
  email: 'ada@example.org',
  attributes: { plan: 'pro', vip: true },
  unsubscribeUrl: 'https://mail.example/unsubscribe/t0k3n?x=1&y=2',
  webViewUrl: 'https://mail.example/view/abc',
  ...overrides,
});

const key = { templateId: 'b5f3c2d4-0000-4000-8000-000000000001', revision: 1 };

describe('TemplateRenderer', () => {
  describe('When a recipient is filled in', () => {
    it('should fill every merge field and the if/unless blocks', () => {
      const renderer = new TemplateRenderer();
      const html =
        '<p>Hi {{firstName}} {{lastName}} ({{name}}, {{email}}), plan {{attributes.plan}}.' +
        '{{#if attributes.vip}} VIP{{else}} regular{{/if}}{{#unless attributes.missing}} none{{/unless}}' +
        ' <a href="{{webViewUrl}}">web</a></p>';
      expect(renderer.render(key, html, values()).html).toBe(
        '<p>Hi Ada Lovelace (Ada Lovelace, ada@example.org), plan pro. VIP none' +
          ' <a href="https://mail.example/view/abc">web</a></p>',
      );
    });

    it('should HTML-escape values: an attribute <script> stays text', () => {
      const renderer = new TemplateRenderer();
      const rendered = renderer.render(
        key,
        '<p title="{{attributes.plan}}">{{firstName}} {{attributes.plan}}</p>',
        values({ firstName: '"Ada" & co', attributes: { plan: '<script>alert(1)</script>' } }),
      );
      expect(rendered.html).toBe(
        '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&quot;Ada&quot; &amp; co &lt;script&gt;alert(1)&lt;/script&gt;</p>',
      );
      expect(rendered.html).not.toContain('<script>');
      // The plain-text part is not HTML: the same value is shown as it is.
      expect(rendered.text).toBe('"Ada" & co <script>alert(1)</script>');
    });

    it('should escape quotes and = inside a link, where the browser decodes them again', () => {
      const renderer = new TemplateRenderer();
      const rendered = renderer.render(
        key,
        '<a href="{{unsubscribeUrl}}">Unsubscribe</a>',
        values(),
      );
      expect(rendered.html).toBe(
        '<a href="https://mail.example/unsubscribe/t0k3n?x&#x3D;1&amp;y&#x3D;2">Unsubscribe</a>',
      );
      expect(rendered.text).toBe('Unsubscribe [https://mail.example/unsubscribe/t0k3n?x=1&y=2]');
    });

    it('should leave missing values empty and never reach prototype properties', () => {
      const renderer = new TemplateRenderer();
      expect(
        renderer.render(key, '[{{attributes.unknown}}][{{firstName}}]', values({ firstName: '' }))
          .html,
      ).toBe('[][]');
    });
  });

  describe('When the same revision is rendered again', () => {
    it('should precompile once per (template, revision) and keep a bounded cache', () => {
      const renderer = new TemplateRenderer(2);
      renderer.render(key, '<p>{{firstName}}</p>', values());
      // The same revision: the cached precompilation, even if handed other HTML by mistake.
      expect(renderer.render(key, '<p>other</p>', values()).html).toBe('<p>Ada</p>');
      expect(renderer.render({ ...key, revision: 2 }, '<p>{{lastName}}</p>', values()).html).toBe(
        '<p>Lovelace</p>',
      );
      renderer.render({ ...key, revision: 3 }, '<p>3</p>', values());
      expect(renderer.size).toBe(2);
      // Revision 1 was the least recently used: it is compiled again from the HTML given.
      expect(renderer.render(key, '<p>again {{email}}</p>', values()).html).toBe(
        '<p>again ada@example.org</p>',
      );
    });

    it('should refuse HTML whose merge fields do not check', () =>
      expect(() => new TemplateRenderer().render(key, '{{{email}}}', values())).toThrow(
        /does not check/,
      ));
  });

  describe('When the plain-text part is derived', () => {
    it('should turn a compiled MJML template into readable text with the values in it', async () => {
      const { html } = await new TemplateCompiler().compile(
        '<mjml><mj-body><mj-section><mj-column>' +
          '<mj-text><h1>Welcome {{firstName}}</h1><p>Your plan: {{attributes.plan}}</p></mj-text>' +
          '<mj-image src="https://mail.example/logo.png" alt="Logo" />' +
          '<mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>' +
          '</mj-column></mj-section></mj-body></mjml>',
      );
      const { text } = new TemplateRenderer().render(key, html, values());
      expect(text).toContain('Welcome Ada');
      expect(text).toContain('Your plan: pro');
      expect(text).toContain('Unsubscribe [https://mail.example/unsubscribe/t0k3n?x=1&y=2]');
      expect(text).not.toMatch(/<|logo\.png|\{\{/);
    });

    it('should not upper-case headings (nor the merge fields in them)', () =>
      expect(htmlToPlainText('<h2>Hello {{firstName}}</h2>')).toBe('Hello {{firstName}}'));

    it('should derive each copy from its filled HTML when the text template cannot be trusted', () => {
      // An entity that decodes to a mustache in the text: the text template is not used.
      const rendered = new TemplateRenderer().render(
        key,
        '<p>&#123;&#123;{email}}} {{firstName}}</p>',
        values(),
      );
      expect(rendered.html).toBe('<p>&#123;&#123;{email}}} Ada</p>');
      expect(rendered.text).toBe('{{{email}}} Ada');
    });
  });

  describe('When a recipient becomes merge values', () => {
    it.each([
      ['Ada Lovelace', 'Ada', 'Lovelace'],
      ['  Ada   Augusta  King ', 'Ada', 'Augusta  King'],
      ['Ada', 'Ada', ''],
      [null, '', ''],
    ])('should split %p into first and last name', (name, firstName, lastName) =>
      expect(
        mergeValuesOf(
          { email: 'ada@example.org', name, attributes: {} },
          { unsubscribeUrl: 'u', webViewUrl: 'w' },
        ),
      ).toMatchObject({ firstName, lastName, name: (name ?? '').trim() }),
    );
  });
});
