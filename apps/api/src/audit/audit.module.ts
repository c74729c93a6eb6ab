import { Module } from '@nestjs/common';

import { AuditResolver } from './audit.resolver.js';

/** `auditVerify` and `auditErasures` for the auditor role, scoped to the caller's tenant. */
@Module({ providers: [AuditResolver] })
export class AuditModule {}
