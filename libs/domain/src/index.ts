// Core
export type { Command, CommandMetadata, Decider, Event } from './core/decider.js';
export { evolveAll } from './core/decider.js';
export {
  DOMAIN_ERROR_KINDS,
  DomainError,
  isDomainError,
  type DomainErrorKind,
  type ErrorKindTable,
} from './core/domain-error.js';
export { assertNever } from './core/assert-never.js';
export { isUuid, isValidDate, utf8ByteLength } from './core/validation.js';

// Campaign
export type {
  CampaignChangesInput,
  CampaignCommand,
  CancelCampaign,
  DraftCampaign,
  ReviseCampaign,
  ScheduleCampaign,
} from './campaign/campaign.commands.js';
export {
  CAMPAIGN_EVENT_TYPES,
  isCampaignEventType,
  type CampaignCancelled,
  type CampaignChanges,
  type CampaignContent,
  type CampaignDrafted,
  type CampaignEvent,
  type CampaignEventType,
  type CampaignRevised,
  type CampaignScheduled,
} from './campaign/campaign.events.js';
export {
  evolveCampaign,
  initialCampaignState,
  type Campaign,
  type CampaignStatus,
} from './campaign/campaign.state.js';
export { CAMPAIGN_LIMITS, decideCampaign } from './campaign/campaign.decide.js';
export { campaignDecider } from './campaign/campaign.decider.js';
export {
  CampaignError,
  campaignErrorKinds,
  type CampaignErrorCode,
} from './campaign/campaign.errors.js';
export { CAMPAIGN_STREAM_CATEGORY, toCampaignStreamId } from './campaign/campaign.stream.js';

// Tenant
export type {
  CreateTenant,
  IssueApiKey,
  RevokeApiKey,
  TenantCommand,
  TenantOwner,
} from './tenant/tenant.commands.js';
export {
  TENANT_EVENT_TYPES,
  isTenantEventType,
  type ApiKeyIssued,
  type ApiKeyRevoked,
  type TenantCreated,
  type TenantEvent,
  type TenantEventType,
} from './tenant/tenant.events.js';
export {
  API_KEY_ROLES,
  TENANT_PLANS,
  isApiKeyRole,
  isTenantPlan,
  type ApiKeyRole,
  type TenantPlan,
} from './tenant/tenant.plans.js';
export {
  evolveTenant,
  initialTenantState,
  type ApiKey,
  type Tenant,
  type TenantStatus,
} from './tenant/tenant.state.js';
export { TENANT_LIMITS, decideTenant } from './tenant/tenant.decide.js';
export { tenantDecider } from './tenant/tenant.decider.js';
export { TenantError, tenantErrorKinds, type TenantErrorCode } from './tenant/tenant.errors.js';
export { TENANT_STREAM_CATEGORY, toTenantStreamId } from './tenant/tenant.stream.js';
export { PERSONAL_DATA, type PersonalDataDeclaration } from './personal-data.js';

// Contact list
export type {
  ContactListCommand,
  CreateContactList,
  DeleteContactList,
  RenameContactList,
} from './contact-list/contact-list.commands.js';
export {
  CONTACT_LIST_EVENT_TYPES,
  isContactListEventType,
  type ContactListCreated,
  type ContactListDeleted,
  type ContactListEvent,
  type ContactListEventType,
  type ContactListRenamed,
} from './contact-list/contact-list.events.js';
export {
  evolveContactList,
  initialContactListState,
  type ContactList,
  type ContactListStatus,
} from './contact-list/contact-list.state.js';
export { CONTACT_LIST_LIMITS, decideContactList } from './contact-list/contact-list.decide.js';
export { contactListDecider } from './contact-list/contact-list.decider.js';
export {
  ContactListError,
  contactListErrorKinds,
  type ContactListErrorCode,
} from './contact-list/contact-list.errors.js';
export {
  CONTACT_LIST_STREAM_CATEGORY,
  toContactListStreamId,
} from './contact-list/contact-list.stream.js';

// Recipient
export {
  checkEmail,
  type EmailCheck,
  type EmailProblem,
  type NormalisedEmail,
} from './recipient/email-address.js';
export type {
  AddRecipient,
  ConfirmOptIn,
  ConsentGiven,
  CorrectRecipient,
  EmailInput,
  EraseRecipient,
  ImportRecipient,
  LiftRestriction,
  ObjectToProcessing,
  RecipientCommand,
  RequestOptIn,
  RestrictRecipient,
  SubscribeRecipient,
  UnsubscribeRecipient,
} from './recipient/recipient.commands.js';
export {
  RECIPIENT_EVENT_TYPES,
  isRecipientEventType,
  type ConsentEvidence,
  type ConsentSource,
  type ErasureBasis,
  type OptInConfirmed,
  type OptInRequested,
  type RecipientAdded,
  type RecipientAttributes,
  type RecipientCorrected,
  type RecipientErased,
  type RecipientEvent,
  type RecipientEventType,
  type RecipientObjected,
  type RecipientRestricted,
  type RecipientRestrictionLifted,
  type RecipientSubscribed,
  type RecipientUnsubscribed,
} from './recipient/recipient.events.js';
export {
  evolveRecipient,
  initialRecipientState,
  isSendable,
  type ActiveRecipient,
  type ErasedRecipient,
  type Membership,
  type MembershipStatus,
  type Recipient,
  type RecipientStatus,
} from './recipient/recipient.state.js';
export {
  CONSENT_SOURCES,
  ERASURE_BASES,
  RECIPIENT_LIMITS,
  decideRecipient,
} from './recipient/recipient.decide.js';
export { recipientDecider } from './recipient/recipient.decider.js';
export {
  RecipientError,
  recipientErrorKinds,
  type RecipientErrorCode,
} from './recipient/recipient.errors.js';
export { RECIPIENT_STREAM_CATEGORY, toRecipientStreamId } from './recipient/recipient.stream.js';
