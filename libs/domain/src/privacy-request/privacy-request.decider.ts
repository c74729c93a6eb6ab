import type { Decider } from '../core/decider.js';

import type { PrivacyRequestCommand } from './privacy-request.commands.js';
import { decidePrivacyRequest } from './privacy-request.decide.js';
import type { PrivacyRequestEvent } from './privacy-request.events.js';
import {
  evolvePrivacyRequest,
  initialPrivacyRequestState,
  type PrivacyRequest,
} from './privacy-request.state.js';

export const privacyRequestDecider: Decider<
  PrivacyRequest,
  PrivacyRequestCommand,
  PrivacyRequestEvent
> = {
  decide: decidePrivacyRequest,
  evolve: evolvePrivacyRequest,
  initialState: initialPrivacyRequestState,
};
