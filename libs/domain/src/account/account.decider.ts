import type { Decider } from '../core/decider.js';

import type { AccountCommand } from './account.commands.js';
import { decideAccount } from './account.decide.js';
import type { AccountEvent } from './account.events.js';
import { type Account, evolveAccount, initialAccountState } from './account.state.js';

export const accountDecider: Decider<Account, AccountCommand, AccountEvent> = {
  decide: decideAccount,
  evolve: evolveAccount,
  initialState: initialAccountState,
};
