import type { Decider } from '../core/decider.js';

import type { BillingCommand, PlanCatalogueCommand } from './billing.commands.js';
import { decideBilling, decidePlanCatalogue } from './billing.decide.js';
import type { BillingEvent, PlanCatalogueEvent } from './billing.events.js';
import {
  evolveBillingAccount,
  evolvePlanCatalogue,
  initialBillingAccount,
  initialPlanCatalogue,
  type BillingAccount,
  type PlanCatalogue,
} from './billing.state.js';

export const planCatalogueDecider: Decider<
  PlanCatalogue,
  PlanCatalogueCommand,
  PlanCatalogueEvent
> = {
  decide: decidePlanCatalogue,
  evolve: evolvePlanCatalogue,
  initialState: initialPlanCatalogue,
};

export const billingDecider: Decider<BillingAccount, BillingCommand, BillingEvent> = {
  decide: decideBilling,
  evolve: evolveBillingAccount,
  initialState: initialBillingAccount,
};
