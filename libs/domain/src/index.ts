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
  CompleteCampaignLaunch,
  DeleteCampaign,
  DraftCampaign,
  LaunchCampaign,
  PauseCampaign,
  ResumeCampaign,
  CompleteCampaign,
  ReviseCampaign,
  ScheduleCampaign,
} from './campaign/campaign.commands.js';
export {
  CAMPAIGN_EVENT_TYPES,
  CAMPAIGN_PAUSE_REASONS,
  isCampaignEventType,
  type CampaignPauseReason,
  type CampaignAudience,
  type CampaignAudienceExclusions,
  type CampaignPaused,
  type CampaignQueued,
  type CampaignResumed,
  type CampaignCompleted,
  type CampaignStarted,
  type CampaignCancelled,
  type CampaignChanges,
  type CampaignContent,
  type CampaignDeleted,
  type CampaignDrafted,
  type CampaignEvent,
  type CampaignEventType,
  type CampaignRevised,
  type CampaignScheduled,
  type CampaignTemplateRef,
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

// Message (one per recipient per campaign)
export type {
  BounceMessage,
  CancelMessage,
  ClaimMessage,
  DeferMessage,
  FailMessage,
  MessageCommand,
  QueueMessage,
  RecordBounce,
  RecordComplaint,
  RecordMessageSent,
} from './message/message.commands.js';
export {
  BOUNCE_KINDS,
  BOUNCE_SOURCES,
  bounceKindOf,
  bounceKindOfStatus,
  type BounceKind,
  type BounceSource,
  type MessageComplained,
  MESSAGE_CANCEL_REASONS,
  MESSAGE_EVENT_TYPES,
  isMessageEventType,
  type ExpiredClaim,
  type MessageBounced,
  type MessageCancelReason,
  type MessageCancelled,
  type MessageClaimed,
  type MessageDeferred,
  type MessageEvent,
  type MessageEventType,
  type MessageFailed,
  type MessageQueued,
  type MessageSent,
  type MessageTemplateRef,
} from './message/message.events.js';
export {
  FINAL_MESSAGE_STATUSES,
  evolveMessage,
  initialMessageState,
  type Message,
  type MessageStatus,
} from './message/message.state.js';
export { MESSAGE_LIMITS, decideMessage } from './message/message.decide.js';
export { messageDecider } from './message/message.decider.js';
export {
  MessageError,
  messageErrorKinds,
  type MessageErrorCode,
} from './message/message.errors.js';
export {
  MESSAGE_STREAM_CATEGORY,
  messageIdName,
  toMessageStreamId,
} from './message/message.stream.js';

// Template
export type {
  CreateTemplate,
  DeleteTemplate,
  ReviseTemplate,
  TemplateCommand,
} from './template/template.commands.js';
export {
  TEMPLATE_EVENT_TYPES,
  isTemplateEventType,
  type TemplateContent,
  type TemplateCreated,
  type TemplateDeleted,
  type TemplateEvent,
  type TemplateEventType,
  type TemplateRevised,
} from './template/template.events.js';
export {
  evolveTemplate,
  initialTemplateState,
  type Template,
  type TemplateStatus,
} from './template/template.state.js';
export {
  ATTRIBUTE_MERGE_FIELD_PREFIX,
  TEMPLATE_LIMITS,
  TEMPLATE_MERGE_FIELDS,
  decideTemplate,
  isTemplateMergeField,
  type TemplateMergeField,
} from './template/template.decide.js';
export { templateDecider } from './template/template.decider.js';
export {
  TemplateError,
  templateErrorKinds,
  type TemplateErrorCode,
} from './template/template.errors.js';
export { TEMPLATE_STREAM_CATEGORY, toTemplateStreamId } from './template/template.stream.js';

// Tenant
export type {
  CreateTenant,
  EraseAccount,
  PauseTenantSending,
  ResumeTenantSending,
  SetRetentionPolicy,
  IssueApiKey,
  RevokeApiKey,
  TenantCommand,
  ChangeApiKeyRole,
  TenantOwner,
} from './tenant/tenant.commands.js';
export {
  SENDING_PAUSE_REASONS,
  type SendingPauseReason,
  type TenantSendingPaused,
  type TenantSendingResumed,
  TENANT_EVENT_TYPES,
  isTenantEventType,
  type AccountErased,
  type ApiKeyIssued,
  type ApiKeyRevoked,
  type ApiKeyRoleChanged,
  type RetentionPolicySet,
  type TenantCreated,
  type TenantEvent,
  type TenantEventType,
} from './tenant/tenant.events.js';
export {
  API_KEY_ROLES,
  RETENTION_DAYS,
  RETENTION_POLICY_KINDS,
  TENANT_PLANS,
  isApiKeyRole,
  isRetentionPolicyKind,
  isTenantPlan,
  type RetentionPolicyKind,
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
export {
  PERMISSIONS,
  PERMISSION_DESCRIPTIONS,
  ROLE_PERMISSIONS,
  isPermission,
  roleCan,
  type Permission,
} from './tenant/permissions.js';
export { tenantDecider } from './tenant/tenant.decider.js';
export { TenantError, tenantErrorKinds, type TenantErrorCode } from './tenant/tenant.errors.js';
export { TENANT_STREAM_CATEGORY, toTenantStreamId } from './tenant/tenant.stream.js';
export { PERSONAL_DATA, type PersonalDataDeclaration } from './personal-data.js';

// Account (a person's login inside a tenant)
export type {
  AccountCommand,
  ChangeAccountPassword,
  ChangeAccountRole,
  RegisterAccount,
} from './account/account.commands.js';
export {
  ACCOUNT_EVENT_TYPES,
  isAccountEventType,
  type AccountEvent,
  type AccountEventType,
  type AccountPasswordChanged,
  type AccountRegistered,
  type AccountRoleChanged,
} from './account/account.events.js';
export {
  evolveAccount,
  initialAccountState,
  type Account,
  type AccountStatus,
} from './account/account.state.js';
export { ACCOUNT_LIMITS, decideAccount } from './account/account.decide.js';
export { accountDecider } from './account/account.decider.js';
export {
  AccountError,
  accountErrorKinds,
  type AccountErrorCode,
} from './account/account.errors.js';
export { ACCOUNT_STREAM_CATEGORY, toAccountStreamId } from './account/account.stream.js';

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

// Privacy request
export type {
  CompletePrivacyRequest,
  ExtendPrivacyRequest,
  OpenPrivacyRequest,
  PrivacyRequestCommand,
  RejectPrivacyRequest,
} from './privacy-request/privacy-request.commands.js';
export {
  PRIVACY_REQUEST_EVENT_TYPES,
  isPrivacyRequestEventType,
  type PrivacyRegulation,
  type PrivacyRequestCompleted,
  type PrivacyRequestEvent,
  type PrivacyRequestEventType,
  type PrivacyRequestExtended,
  type PrivacyRequestKind,
  type PrivacyRequestOpened,
  type PrivacyRequestRejected,
  type PrivacyRequestRejectionReason,
  type PrivacySubjectType,
} from './privacy-request/privacy-request.events.js';
export {
  evolvePrivacyRequest,
  initialPrivacyRequestState,
  type OpenPrivacyRequestState,
  type PrivacyRequest,
  type PrivacyRequestStatus,
} from './privacy-request/privacy-request.state.js';
export {
  PRIVACY_REGULATIONS,
  PRIVACY_REQUEST_KINDS,
  PRIVACY_REQUEST_LIMITS,
  PRIVACY_REQUEST_REJECTION_REASONS,
  PRIVACY_SUBJECT_TYPES,
  decidePrivacyRequest,
} from './privacy-request/privacy-request.decide.js';
export {
  PRIVACY_REQUEST_DEADLINES,
  addCalendarMonths,
  extendedDueDate,
  privacyRequestDueDate,
} from './privacy-request/privacy-request.due-date.js';
export { privacyRequestDecider } from './privacy-request/privacy-request.decider.js';
export {
  PrivacyRequestError,
  privacyRequestErrorKinds,
  type PrivacyRequestErrorCode,
} from './privacy-request/privacy-request.errors.js';
export {
  PRIVACY_REQUEST_STREAM_CATEGORY,
  toPrivacyRequestStreamId,
} from './privacy-request/privacy-request.stream.js';

// Retention
export {
  RETENTION_STREAM_CATEGORY,
  retentionDecider,
  toRetentionStreamId,
  type AppliedRetentionPolicy,
  type RecordRetentionRun,
  type RetentionRunCompleted,
} from './retention/retention-run.decider.js';

// Suppression
export {
  ADDRESS_SUPPRESSION_REASONS,
  type AddressSuppressionReason,
  SUPPRESSION_EVENT_TYPES,
  SUPPRESSION_STREAM_CATEGORY,
  suppressionDecider,
  toSuppressionStreamId,
  type AddressSuppressed,
  type AddressSuppressionLifted,
  type LiftSuppression,
  type SuppressAddress,
  type SuppressionCommand,
  type SuppressionEvent,
  type SuppressionState,
} from './suppression/suppression.decider.js';

// Billing: plans (data, not code), a tenant's subscription, invoices and payment status
export type {
  BillingCommand,
  ChangeBillingSettings,
  ChangePaymentStatus,
  ChangeSubscriptionPlan,
  DefinePlan,
  PlanCatalogueCommand,
  RecordInvoice,
  RetirePlan,
} from './billing/billing.commands.js';
export {
  BILLING_EVENT_TYPES,
  OVER_QUOTA_POLICIES,
  PAYMENT_STATUSES,
  PLAN_CATALOGUE_EVENT_TYPES,
  PLAN_CHANGE_SOURCES,
  type BillingEvent,
  type BillingEventType,
  type BillingSettingsChanged,
  type InvoiceIssued,
  type OverQuotaPolicy,
  type PaymentStatus,
  type PaymentStatusChanged,
  type PlanCatalogueEvent,
  type PlanChangeSource,
  type PlanDefined,
  type PlanRetired,
  type SubscriptionPlanChanged,
} from './billing/billing.events.js';
export { DEFAULT_PLANS, PLAN_LIMITS, isPlanId, type Plan } from './billing/billing.plans.js';
export {
  evolveBillingAccount,
  evolvePlanCatalogue,
  initialBillingAccount,
  initialPlanCatalogue,
  type BillingAccount,
  type CataloguePlan,
  type PlanCatalogue,
} from './billing/billing.state.js';
export {
  BILLING_LIMITS,
  decideBilling,
  decidePlanCatalogue,
  validPlan,
} from './billing/billing.decide.js';
export { billingDecider, planCatalogueDecider } from './billing/billing.decider.js';
export {
  BillingError,
  billingErrorKinds,
  type BillingErrorCode,
} from './billing/billing.errors.js';
export {
  BILLING_STREAM_CATEGORY,
  PLAN_CATALOGUE_STREAM_CATEGORY,
  PLAN_CATALOGUE_STREAM_ID,
  PLATFORM_TENANT_ID,
  toBillingStreamId,
} from './billing/billing.stream.js';
export { billingMonthOf, isTimeZone, nextBillingMonthStart } from './billing/billing-period.js';
export {
  assertContactCapacity,
  assertPaymentAllowsLaunch,
  assertWithinMonthlyQuota,
  graceEndsAt,
  monthlySendAllowance,
  type PaymentStanding,
} from './billing/billing.limits.js';
