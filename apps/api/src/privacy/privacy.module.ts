import { Module } from '@nestjs/common';

import { PrivacyResolver } from './privacy.resolver.js';

@Module({ providers: [PrivacyResolver] })
export class PrivacyModule {}
