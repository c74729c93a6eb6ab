import type { Decider } from '../core/decider.js';

import type { TemplateCommand } from './template.commands.js';
import { decideTemplate } from './template.decide.js';
import type { TemplateEvent } from './template.events.js';
import { evolveTemplate, initialTemplateState, type Template } from './template.state.js';

export const templateDecider: Decider<Template, TemplateCommand, TemplateEvent> = {
  decide: decideTemplate,
  evolve: evolveTemplate,
  initialState: initialTemplateState,
};
