import { Module } from '@nestjs/common';

import { ApiKeysResolver } from './api-keys.resolver.js';

/** Who may do what in a tenant: its API keys and their roles. */
@Module({ providers: [ApiKeysResolver] })
export class AccessModule {}
