import { Module } from '@nestjs/common';

import { AccountsResolver } from './accounts.resolver.js';
import { ApiKeysResolver } from './api-keys.resolver.js';
import { ApiUsagePlugin } from './api-usage.plugin.js';
import { ApiUsageResolver } from './api-usage.resolver.js';

/**
 * Who may do what in a tenant (its accounts and their sessions, its API keys, and their roles),
 * and what they used (API usage metrics).
 */
@Module({ providers: [ApiKeysResolver, AccountsResolver, ApiUsageResolver, ApiUsagePlugin] })
export class AccessModule {}
