import Handlebars from 'handlebars';

import { TEMPLATE_MERGE_FIELDS, TemplateError, isTemplateMergeField } from '#domain';

/** Something wrong with a merge field, where the tenant wrote it (1-based line and column). */
export interface MergeFieldProblem {
  line: number | null;
  column: number | null;
  message: string;
}

export interface MergeFieldReport {
  /** The fields used, each once, in the order they first appear. */
  fields: string[];
  problems: MergeFieldProblem[];
}

const ALLOWED = `${TEMPLATE_MERGE_FIELDS.join(', ')} or attributes.<key>`;
const BLOCK_HELPERS = new Set(['if', 'unless']);

/**
 * The merge fields of a template source, checked with Handlebars' own parser. Allowed: escaped
 * mustaches `{{firstName}}`, `{{attributes.plan}}`, … and `{{#if field}}…{{else}}…{{/if}}` /
 * `{{#unless field}}` blocks over those. Everything else Handlebars can do (triple-stash and
 * `{{& }}` raw output, partials, decorators, other helpers, sub-expressions, `this`, `../`,
 * `@data`) is a problem, reported with its line: a template is text the tenant controls, and the
 * recipient's values must only ever land HTML-escaped.
 */
export const inspectMergeFields = (source: string): MergeFieldReport => {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parseWithoutProcessing(source);
  } catch (error) {
    return { fields: [], problems: [parseProblem(error)] };
  }
  const fields = new Set<string>();
  const problems: MergeFieldProblem[] = [];
  const report = (node: hbs.AST.Node, message: string) =>
    problems.push({
      line: node.loc?.start.line ?? null,
      column: node.loc ? node.loc.start.column + 1 : null,
      message,
    });

  /** The merge field a path names, or undefined (and a problem) when it names none. */
  const field = (node: hbs.AST.Node): string | undefined => {
    if (node.type !== 'PathExpression') {
      report(node, 'A merge field is a name, not a literal or an expression');
      return undefined;
    }
    const path = node as hbs.AST.PathExpression;
    const name = path.parts.join('.');
    const plain =
      !path.data &&
      path.depth === 0 &&
      !/^(this\b|\.)/.test(path.original) &&
      path.parts.length > 0 &&
      (path.parts.length === 1 || (path.parts.length === 2 && path.parts[0] === 'attributes'));
    if (!plain || !isTemplateMergeField(name)) {
      report(node, `Unknown merge field "${path.original}": use ${ALLOWED}`);
      return undefined;
    }
    fields.add(name);
    return name;
  };

  const noArguments = (
    node: hbs.AST.Node & { params: hbs.AST.Expression[]; hash?: hbs.AST.Hash },
    what: string,
  ): boolean => {
    if (node.params.length === 0 && (node.hash?.pairs.length ?? 0) === 0) return true;
    report(node, `${what}: helpers are not allowed, only {{#if field}} and {{#unless field}}`);
    return false;
  };

  const visit = (statements: readonly hbs.AST.Statement[]): void => {
    for (const statement of statements) {
      switch (statement.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const mustache = statement as hbs.AST.MustacheStatement;
          const shown = describePath(mustache.path);
          if (!mustache.escaped) {
            report(
              mustache,
              `{{{${shown}}}} would insert unescaped HTML: write {{${shown}}} (values are always escaped)`,
            );
            break;
          }
          if (noArguments(mustache, `{{${shown} …}}`)) field(mustache.path);
          break;
        }
        case 'BlockStatement': {
          const block = statement as hbs.AST.BlockStatement;
          const helper = describePath(block.path);
          if (block.path.type !== 'PathExpression' || !BLOCK_HELPERS.has(block.path.original)) {
            report(
              block,
              `{{#${helper}}} blocks are not allowed: only {{#if field}} and {{#unless field}}`,
            );
            break;
          }
          if (block.params.length !== 1 || (block.hash?.pairs.length ?? 0) > 0) {
            report(block, `{{#${helper}}} takes exactly one merge field`);
            break;
          }
          if ((block.program?.blockParams?.length ?? 0) > 0) {
            report(block, `{{#${helper}}} takes no block parameters`);
            break;
          }
          field(block.params[0]!);
          visit(block.program?.body ?? []);
          visit(block.inverse?.body ?? []);
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
          report(statement, 'Partials ({{> name}}) are not allowed');
          break;
        case 'Decorator':
        case 'DecoratorBlock':
          report(statement, 'Decorators ({{* name}}) are not allowed');
          break;
        default:
          report(statement, `Unsupported template syntax (${statement.type})`);
      }
    }
  };
  visit(program.body);
  return { fields: [...fields], problems };
};

/**
 * The merge fields a template uses, or a typed `INVALID_TEMPLATE` error naming the first problem
 * and its line (all problems are in `details.problems`).
 */
export const checkMergeFields = (source: string, where = 'Template'): string[] => {
  const { fields, problems } = inspectMergeFields(source);
  const first = problems[0];
  if (first) {
    const at = first.line === null ? '' : ` line ${first.line}`;
    throw new TemplateError('INVALID_TEMPLATE', `${where}${at}: ${first.message}`, {
      line: first.line,
      column: first.column,
      problems,
    });
  }
  return fields;
};

const describePath = (path: hbs.AST.Node): string =>
  path.type === 'PathExpression'
    ? (path as hbs.AST.PathExpression).original
    : String((path as hbs.AST.StringLiteral).original ?? path.type);

/** Handlebars' parser errors: "Parse error on line 3: … Expecting 'ID', got 'EOF'". */
const parseProblem = (error: unknown): MergeFieldProblem => {
  const message = error instanceof Error ? error.message : String(error);
  const { lineNumber, column } = error as { lineNumber?: unknown; column?: unknown };
  const fromText = /line (\d+)/.exec(message)?.[1];
  const line = typeof lineNumber === 'number' ? lineNumber : fromText ? Number(fromText) : null;
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  const summary = lines.length > 1 ? lines[lines.length - 1]! : (lines[0] ?? 'syntax error');
  return {
    line,
    column: typeof column === 'number' ? column + 1 : null,
    message: `Merge field syntax error: ${summary.trim()}`,
  };
};
