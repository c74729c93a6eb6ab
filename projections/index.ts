export * from './core/projection.js';
export * from './core/projection-runner.js';
export * from './core/row-level-security.js';
export * from './core/tenant-read-models.js';
export * from './data-source.js';
export { CampaignEntity } from './campaigns/campaign.entity.js';
export {
  campaignsProjection,
  type CampaignRow,
  type CampaignRowStatus,
} from './campaigns/campaigns.projection.js';
export { TenantEntity } from './tenants/tenant.entity.js';
export { tenantsProjection, type TenantRow } from './tenants/tenants.projection.js';
export { ApiKeyEntity } from './api-keys/api-key.entity.js';
export { apiKeysProjection, type ApiKeyRow } from './api-keys/api-keys.projection.js';
export { AccountEntity } from './accounts/account.entity.js';
export { accountsProjection, type AccountRow } from './accounts/accounts.projection.js';
export { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';
export { ContactListEntity } from './contact-lists/contact-list.entity.js';
export {
  contactListsProjection,
  type ContactListRow,
} from './contact-lists/contact-lists.projection.js';
export { RecipientEntity } from './recipients/recipient.entity.js';
export { RecipientMembershipEntity } from './recipients/recipient-membership.entity.js';
export {
  recipientsProjection,
  type RecipientMembershipRow,
  type RecipientRow,
} from './recipients/recipients.projection.js';
export { SuppressionEntity } from './suppressions/suppression.entity.js';
export {
  SUPPRESSION_REASONS,
  suppressionsProjection,
  type SuppressionReason,
  type SuppressionRow,
} from './suppressions/suppressions.projection.js';
export { ErasureReceiptEntity } from './erasure-receipts/erasure-receipt.entity.js';
export {
  erasureReceiptsProjection,
  type ErasureReceiptRow,
} from './erasure-receipts/erasure-receipts.projection.js';
export { PrivacyRequestEntity } from './privacy-requests/privacy-request.entity.js';
export {
  privacyRequestsProjection,
  type PrivacyRequestRow,
  type PrivacyRequestRowStatus,
} from './privacy-requests/privacy-requests.projection.js';
export { TemplateEntity } from './templates/template.entity.js';
export { templatesProjection, type TemplateRow } from './templates/templates.projection.js';
export { CampaignDeliveryEntity, MessageEntity } from './messages/message.entity.js';
export {
  MESSAGE_ROW_STATUSES,
  messagesProjection,
  type CampaignDeliveryRow,
  type MessageRow,
  type MessageRowStatus,
  type TenantDeliveryHourlyRow,
} from './messages/messages.projection.js';
export * from './billing/billing.entities.js';
export {
  billingProjection,
  plansProjection,
  type BillingAccountRow,
  type BillingLaunchRow,
  type InvoiceRow,
  type PlanRow,
} from './billing/billing.projection.js';

import { apiKeysProjection } from './api-keys/api-keys.projection.js';
import { accountsProjection } from './accounts/accounts.projection.js';
import { campaignsProjection } from './campaigns/campaigns.projection.js';
import { contactListsProjection } from './contact-lists/contact-lists.projection.js';
import { erasureReceiptsProjection } from './erasure-receipts/erasure-receipts.projection.js';
import { privacyRequestsProjection } from './privacy-requests/privacy-requests.projection.js';
import { recipientsProjection } from './recipients/recipients.projection.js';
import { suppressionsProjection } from './suppressions/suppressions.projection.js';
import { tenantsProjection } from './tenants/tenants.projection.js';
import { templatesProjection } from './templates/templates.projection.js';
import { messagesProjection } from './messages/messages.projection.js';
import { billingProjection, plansProjection } from './billing/billing.projection.js';

/** Every read model the worker keeps up to date. */
export const ALL_PROJECTIONS = [
  campaignsProjection,
  tenantsProjection,
  apiKeysProjection,
  accountsProjection,
  contactListsProjection,
  recipientsProjection,
  suppressionsProjection,
  erasureReceiptsProjection,
  privacyRequestsProjection,
  templatesProjection,
  messagesProjection,
  plansProjection,
  billingProjection,
] as const;
