export const TENANT_STREAM_CATEGORY = 'tenant';

export const toTenantStreamId = (tenantId: string): string =>
  `${TENANT_STREAM_CATEGORY}-${tenantId}`;
