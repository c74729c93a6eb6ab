import type { Command } from '../core/decider.js';

/**
 * A template's content as the platform hands it to the decider: the MJML the tenant wrote, the
 * HTML it compiles to, and the merge fields it uses. Compiling and checking the MJML needs
 * libraries, so it happens in the shell (`TemplateCompiler`) before the command is built; the
 * decider checks shapes, sizes, ownership and transitions.
 */
export type CreateTemplate = Command<
  'CreateTemplate',
  {
    templateId: string;
    tenantId: string;
    name: string;
    mjml: string;
    html: string;
    /** Names of the merge fields the template uses (`firstName`, `attributes.plan`, …). */
    mergeFields: readonly string[];
  }
>;

/**
 * A new revision: the fields given replace the current ones (`mjml` comes with its `html` and
 * `mergeFields`). `expectedRevision` is the template revision the tenant edited (1-based).
 */
export type ReviseTemplate = Command<
  'ReviseTemplate',
  {
    templateId: string;
    tenantId: string;
    name?: string;
    mjml?: string;
    html?: string;
    mergeFields?: readonly string[];
    expectedRevision?: number;
  }
>;

export type DeleteTemplate = Command<'DeleteTemplate', { templateId: string; tenantId: string }>;

export type TemplateCommand = CreateTemplate | ReviseTemplate | DeleteTemplate;
