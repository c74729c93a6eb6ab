import type { Decider } from '../core/decider.js';

import type { TenantCommand } from './tenant.commands.js';
import { decideTenant } from './tenant.decide.js';
import type { TenantEvent } from './tenant.events.js';
import { evolveTenant, initialTenantState, type Tenant } from './tenant.state.js';

export const tenantDecider: Decider<Tenant, TenantCommand, TenantEvent> = {
  decide: decideTenant,
  evolve: evolveTenant,
  initialState: initialTenantState,
};
