import type { Decider } from '../core/decider.js';

import type { MessageCommand } from './message.commands.js';
import { decideMessage } from './message.decide.js';
import type { MessageEvent } from './message.events.js';
import { evolveMessage, initialMessageState, type Message } from './message.state.js';

export const messageDecider: Decider<Message, MessageCommand, MessageEvent> = {
  decide: decideMessage,
  evolve: evolveMessage,
  initialState: initialMessageState,
};
