export * from './core/projection.js';
export * from './core/projection-runner.js';
export * from './data-source.js';
export { CampaignEntity } from './campaigns/campaign.entity.js';
export { campaignsProjection, type CampaignRow } from './campaigns/campaigns.projection.js';
export { TenantEntity } from './tenants/tenant.entity.js';
export { tenantsProjection, type TenantRow } from './tenants/tenants.projection.js';
export { ApiKeyEntity } from './api-keys/api-key.entity.js';
export { apiKeysProjection, type ApiKeyRow } from './api-keys/api-keys.projection.js';
export { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';
export { ContactListEntity } from './contact-lists/contact-list.entity.js';
export {
  contactListsProjection,
  type ContactListRow,
} from './contact-lists/contact-lists.projection.js';

import { apiKeysProjection } from './api-keys/api-keys.projection.js';
import { campaignsProjection } from './campaigns/campaigns.projection.js';
import { contactListsProjection } from './contact-lists/contact-lists.projection.js';
import { tenantsProjection } from './tenants/tenants.projection.js';

/** Every read model the worker keeps up to date. */
export const ALL_PROJECTIONS = [
  campaignsProjection,
  tenantsProjection,
  apiKeysProjection,
  contactListsProjection,
] as const;
