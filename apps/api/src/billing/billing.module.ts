import { Module } from '@nestjs/common';

import { BillingEventsController } from './billing-events.controller.js';
import { BillingResolver } from './billing.resolver.js';

/** Plans, the tenant's billing overview, and the billing provider's webhook. */
@Module({ providers: [BillingResolver], controllers: [BillingEventsController] })
export class BillingModule {}
