import type { Decider } from '../core/decider.js';
import type { RecipientCommand } from './recipient.commands.js';
import { decideRecipient } from './recipient.decide.js';
import type { RecipientEvent } from './recipient.events.js';
import { evolveRecipient, initialRecipientState, type Recipient } from './recipient.state.js';

export const recipientDecider: Decider<Recipient, RecipientCommand, RecipientEvent> = {
  decide: decideRecipient,
  evolve: evolveRecipient,
  initialState: initialRecipientState,
};
