
/*
 * -------------------------------------------------------
 * THIS FILE WAS AUTOMATICALLY GENERATED (DO NOT MODIFY)
 * -------------------------------------------------------
 */

/* tslint:disable */
/* eslint-disable */

export enum CampaignStatus {
    DRAFT = "DRAFT",
    SCHEDULED = "SCHEDULED",
    SENDING = "SENDING",
    PAUSED = "PAUSED",
    COMPLETED = "COMPLETED",
    CANCELLED = "CANCELLED"
}

export enum CampaignPauseReason {
    MANUAL = "MANUAL",
    QUOTA = "QUOTA"
}

export enum ApiKeyRole {
    OWNER = "OWNER",
    ADMIN = "ADMIN",
    MARKETER = "MARKETER",
    SUPPORT = "SUPPORT",
    AUDITOR = "AUDITOR",
    VIEWER = "VIEWER"
}

export enum BounceKind {
    HARD = "HARD",
    SOFT = "SOFT",
    BLOCKED = "BLOCKED"
}

export enum MessageStatus {
    QUEUED = "QUEUED",
    SENDING = "SENDING",
    SENT = "SENT",
    DEFERRED = "DEFERRED",
    BOUNCED = "BOUNCED",
    FAILED = "FAILED",
    CANCELLED = "CANCELLED"
}

export enum SendingPauseReason {
    BOUNCE_RATE = "BOUNCE_RATE",
    COMPLAINT_RATE = "COMPLAINT_RATE",
    MANUAL = "MANUAL"
}

export enum RecipientStatus {
    ACTIVE = "ACTIVE",
    ERASED = "ERASED"
}

export enum MembershipStatus {
    PENDING = "PENDING",
    SUBSCRIBED = "SUBSCRIBED",
    UNSUBSCRIBED = "UNSUBSCRIBED"
}

export enum ConsentSource {
    IMPORT = "IMPORT",
    API = "API",
    FORM = "FORM"
}

export enum ErasureBasis {
    GDPR_ART17 = "GDPR_ART17",
    CCPA_DELETE = "CCPA_DELETE",
    TENANT_REQUEST = "TENANT_REQUEST",
    CHILD_UNDER_13 = "CHILD_UNDER_13",
    RETENTION = "RETENTION"
}

export enum SuppressionReason {
    MANUAL = "MANUAL",
    UNSUBSCRIBED = "UNSUBSCRIBED",
    SOFT_BOUNCES = "SOFT_BOUNCES",
    HARD_BOUNCE = "HARD_BOUNCE",
    COMPLAINT = "COMPLAINT",
    ERASED = "ERASED"
}

export enum RetentionPolicyKind {
    UNSUBSCRIBED_RECIPIENTS = "UNSUBSCRIBED_RECIPIENTS",
    INACTIVE_RECIPIENTS = "INACTIVE_RECIPIENTS",
    DELIVERY_DETAILS = "DELIVERY_DETAILS"
}

export enum PrivacyRequestKind {
    ACCESS = "ACCESS",
    PORTABILITY = "PORTABILITY",
    RECTIFICATION = "RECTIFICATION",
    ERASURE = "ERASURE",
    RESTRICTION = "RESTRICTION",
    OBJECTION = "OBJECTION",
    CHILD = "CHILD"
}

export enum Regulation {
    GDPR = "GDPR",
    CCPA = "CCPA"
}

export enum PrivacySubjectType {
    RECIPIENT = "RECIPIENT",
    ACCOUNT = "ACCOUNT"
}

export enum PrivacyRequestStatus {
    OPEN = "OPEN",
    COMPLETED = "COMPLETED",
    REJECTED = "REJECTED"
}

export enum PrivacyRequestRejectionReason {
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED",
    SUBJECT_NOT_FOUND = "SUBJECT_NOT_FOUND",
    MANIFESTLY_UNFOUNDED = "MANIFESTLY_UNFOUNDED",
    DUPLICATE = "DUPLICATE",
    WITHDRAWN = "WITHDRAWN"
}

export enum AccountErasureBasis {
    GDPR_ART17 = "GDPR_ART17",
    CCPA_DELETE = "CCPA_DELETE",
    CHILD_UNDER_13 = "CHILD_UNDER_13"
}

export enum PaymentStatus {
    ACTIVE = "ACTIVE",
    PAST_DUE = "PAST_DUE",
    CANCELLED = "CANCELLED"
}

export enum QuotaOverflow {
    REFUSE = "REFUSE",
    PAUSE = "PAUSE"
}

export class LoginInput {
    email: string;
    password: string;
}

export class RegisterAccountInput {
    email: string;
    name: string;
    company: string;
    password: string;
    role: ApiKeyRole;
}

export class ChangeAccountRoleInput {
    id: string;
    role: ApiKeyRole;
}

export class ChangePasswordInput {
    currentPassword: string;
    newPassword: string;
}

export class IssueApiKeyInput {
    role: ApiKeyRole;
    label: string;
}

export class ChangeApiKeyRoleInput {
    id: string;
    role: ApiKeyRole;
}

export class ContactsCsvMappingInput {
    email?: Nullable<string>;
    name?: Nullable<string>;
    firstName?: Nullable<string>;
    lastName?: Nullable<string>;
}

export class ImportContactsInput {
    listId: string;
    csv?: Nullable<string>;
    mapping?: Nullable<ContactsCsvMappingInput>;
}

export class OpenPrivacyRequestInput {
    kind: PrivacyRequestKind;
    regulation: Regulation;
    recipientId?: Nullable<string>;
    email?: Nullable<string>;
    reference?: Nullable<string>;
    receivedAt?: Nullable<DateTime>;
}

export class RejectPrivacyRequestInput {
    id: string;
    reason: PrivacyRequestRejectionReason;
}

export class ExtendPrivacyRequestInput {
    id: string;
    reason: string;
}

export class SetRetentionPolicyInput {
    kind: RetentionPolicyKind;
    days?: Nullable<number>;
}

export class EraseAccountInput {
    accountId: string;
    requestId?: Nullable<string>;
    basis: AccountErasureBasis;
}

export class DraftCampaignInput {
    name: string;
    subject: string;
    fromAddress: string;
    fromName?: Nullable<string>;
    mjmlBody?: Nullable<string>;
    listIds?: Nullable<string[]>;
    templateId?: Nullable<string>;
    templateRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class ReviseCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    name?: Nullable<string>;
    subject?: Nullable<string>;
    fromAddress?: Nullable<string>;
    fromName?: Nullable<string>;
    mjmlBody?: Nullable<string>;
    listIds?: Nullable<string[]>;
    templateId?: Nullable<string>;
    templateRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class ScheduleCampaignInput {
    id: string;
    sendAt: DateTime;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class DeleteCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class CancelCampaignInput {
    id: string;
    reason?: Nullable<string>;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class LaunchCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class PauseCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class ResumeCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class CreateTemplateInput {
    name: string;
    mjml: string;
    idempotencyKey?: Nullable<string>;
}

export class ReviseTemplateInput {
    id: string;
    expectedRevision?: Nullable<number>;
    name?: Nullable<string>;
    mjml?: Nullable<string>;
    idempotencyKey?: Nullable<string>;
}

export class CreateContactListInput {
    name: string;
    idempotencyKey?: Nullable<string>;
}

export class RenameContactListInput {
    id: string;
    name: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class DeleteContactListInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class ConsentInput {
    collectedAt?: Nullable<DateTime>;
    ipAddress?: Nullable<string>;
}

export class AddRecipientInput {
    email: string;
    name?: Nullable<string>;
    attributes?: Nullable<JSONObject>;
    listIds?: Nullable<string[]>;
    source?: Nullable<ConsentSource>;
    consent?: Nullable<ConsentInput>;
    idempotencyKey?: Nullable<string>;
}

export class CorrectRecipientInput {
    id: string;
    requestId?: Nullable<string>;
    email?: Nullable<string>;
    name?: Nullable<string>;
    attributes?: Nullable<JSONObject>;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class SubscribeRecipientInput {
    id: string;
    listId: string;
    source?: Nullable<ConsentSource>;
    consent?: Nullable<ConsentInput>;
    idempotencyKey?: Nullable<string>;
}

export class UnsubscribeRecipientInput {
    id: string;
    listId?: Nullable<string>;
    idempotencyKey?: Nullable<string>;
}

export class RequestOptInInput {
    id: string;
    listId: string;
    source?: Nullable<ConsentSource>;
    consent?: Nullable<ConsentInput>;
    validForHours?: Nullable<number>;
}

export class ConfirmOptInInput {
    token: string;
    ipAddress?: Nullable<string>;
}

export class DataSubjectRequestInput {
    id?: Nullable<string>;
    email?: Nullable<string>;
    requestId?: Nullable<string>;
    regulation?: Nullable<Regulation>;
    reference?: Nullable<string>;
    idempotencyKey?: Nullable<string>;
}

export class SuppressEmailInput {
    email: string;
}

export class LiftSuppressionInput {
    email: string;
    reference?: Nullable<string>;
}

export class EraseRecipientInput {
    id?: Nullable<string>;
    email?: Nullable<string>;
    requestId?: Nullable<string>;
    basis: ErasureBasis;
    reference?: Nullable<string>;
}

export class Campaign {
    id: string;
    name: string;
    subject: string;
    fromAddress: string;
    fromName?: Nullable<string>;
    mjmlBody: string;
    listIds: string[];
    templateId?: Nullable<string>;
    templateRevision?: Nullable<number>;
    status: CampaignStatus;
    sendAt?: Nullable<DateTime>;
    cancelReason?: Nullable<string>;
    revision: number;
    createdAt: DateTime;
    updatedAt: DateTime;
    scheduledAt?: Nullable<DateTime>;
    cancelledAt?: Nullable<DateTime>;
    startedAt?: Nullable<DateTime>;
    pausedAt?: Nullable<DateTime>;
    pausedReason?: Nullable<CampaignPauseReason>;
    completedAt?: Nullable<DateTime>;
    audience?: Nullable<CampaignAudience>;
    delivery: CampaignDelivery;
}

export class CampaignAudience {
    listIds: string[];
    recipients: number;
    excluded: CampaignAudienceExclusions;
    queuedMessages?: Nullable<number>;
    queuedAt?: Nullable<DateTime>;
}

export class CampaignAudienceExclusions {
    suppressed: number;
    unsubscribed: number;
    restricted: number;
    objected: number;
    erased: number;
    pending: number;
}

export class CampaignDelivery {
    queued: number;
    sending: number;
    sent: number;
    deferred: number;
    bounced: number;
    failed: number;
    cancelled: number;
    total: number;
    bouncedHard: number;
    bouncedSoft: number;
    bouncedBlocked: number;
    complained: number;
    unsubscribed: number;
}

export class CampaignMessage {
    id: string;
    campaignId: string;
    recipientId: string;
    listId: string;
    status: MessageStatus;
    attempts: number;
    lastReply?: Nullable<string>;
    nextAttemptAt?: Nullable<DateTime>;
    queuedAt: DateTime;
    updatedAt: DateTime;
    bounceKind?: Nullable<BounceKind>;
    complainedAt?: Nullable<DateTime>;
    unsubscribedAt?: Nullable<DateTime>;
}

export class CampaignMessageEdge {
    cursor: string;
    node: CampaignMessage;
}

export class CampaignMessageConnection {
    edges: CampaignMessageEdge[];
    pageInfo: PageInfo;
}

export class PageInfo {
    hasNextPage: boolean;
    endCursor?: Nullable<string>;
}

export class Template {
    id: string;
    name: string;
    revision: number;
    mjml: string;
    html: string;
    mergeFields: string[];
    createdAt: DateTime;
    updatedAt: DateTime;
}

export class TemplateEdge {
    cursor: string;
    node: Template;
}

export class TemplateConnection {
    edges: TemplateEdge[];
    pageInfo: PageInfo;
}

export class TemplatePreview {
    html: string;
    text: string;
    revision: number;
}

export class TemplateDeletion {
    id: string;
    deletedAt: DateTime;
}

export class CampaignEdge {
    cursor: string;
    node: Campaign;
}

export class CampaignConnection {
    edges: CampaignEdge[];
    pageInfo: PageInfo;
}

export class ContactList {
    id: string;
    name: string;
    revision: number;
    createdAt: DateTime;
    updatedAt: DateTime;
    deletedAt?: Nullable<DateTime>;
}

export class ContactListEdge {
    cursor: string;
    node: ContactList;
}

export class ContactListConnection {
    edges: ContactListEdge[];
    pageInfo: PageInfo;
}

export class Tenant {
    id: string;
    name: string;
    plan: string;
    owner?: Nullable<Account>;
    createdAt: DateTime;
}

export class TenantSending {
    paused: boolean;
    reason?: Nullable<SendingPauseReason>;
    pausedAt?: Nullable<DateTime>;
    pauseRate?: Nullable<number>;
    pauseThreshold?: Nullable<number>;
    windowHours: number;
    messages: number;
    bounced: number;
    complained: number;
    bounceRate: number;
    complaintRate: number;
    bounceRateLimit: number;
    complaintRateLimit: number;
    minMessages: number;
}

export class Account {
    id: string;
    email: string;
    name?: Nullable<string>;
    company?: Nullable<string>;
    role?: Nullable<ApiKeyRole>;
    registeredAt?: Nullable<DateTime>;
    erasedAt?: Nullable<DateTime>;
}

export class AccountEdge {
    cursor: string;
    node: Account;
}

export class AccountConnection {
    edges: AccountEdge[];
    pageInfo: PageInfo;
}

export class Session {
    token: string;
    expiresAt: DateTime;
    idleExpiresAt: DateTime;
    account: Account;
}

export class ApiKey {
    id: string;
    label: string;
    role: ApiKeyRole;
    issuedAt: DateTime;
    revokedAt?: Nullable<DateTime>;
    lastUsedAt?: Nullable<DateTime>;
    accountId?: Nullable<string>;
}

export class ApiKeyEdge {
    cursor: string;
    node: ApiKey;
}

export class ApiKeyConnection {
    edges: ApiKeyEdge[];
    pageInfo: PageInfo;
}

export class IssuedApiKey {
    apiKey: ApiKey;
    secret: string;
}

export class ApiUsageDay {
    day: string;
    apiKeyId?: Nullable<string>;
    accountId?: Nullable<string>;
    operation: string;
    requests: number;
    cost: number;
    errors: number;
}

export class ApiUsage {
    from: string;
    to: string;
    requests: number;
    cost: number;
    days: ApiUsageDay[];
}

export class Viewer {
    tenant: Tenant;
    apiKeyId?: Nullable<string>;
    accountId?: Nullable<string>;
    role: ApiKeyRole;
}

export class ProjectionStatus {
    name: string;
    checkpoint?: Nullable<string>;
    eventsBehind: number;
    lastAppliedAt?: Nullable<DateTime>;
}

export class ConsentEvidence {
    source: ConsentSource;
    collectedAt: DateTime;
    ipAddress?: Nullable<string>;
}

export class Membership {
    list?: Nullable<ContactList>;
    listId: string;
    status: MembershipStatus;
    consent: ConsentEvidence;
    since: DateTime;
    joinedAt: DateTime;
    confirmedAt?: Nullable<DateTime>;
    optInExpiresAt?: Nullable<DateTime>;
}

export class RecipientEventEntry {
    revision: number;
    type: string;
    recordedAt: DateTime;
    actor?: Nullable<string>;
    data: JSONObject;
}

export class Recipient {
    id: string;
    email: string;
    name?: Nullable<string>;
    attributes?: Nullable<JSONObject>;
    status: RecipientStatus;
    restricted: boolean;
    objected: boolean;
    unsubscribedFromAll: boolean;
    memberships: Membership[];
    timeline: RecipientEventEntry[];
    messages: CampaignMessageConnection;
    revision: number;
    createdAt: DateTime;
    updatedAt: DateTime;
    erasedAt?: Nullable<DateTime>;
}

export class RecipientEdge {
    cursor: string;
    node: Recipient;
}

export class RecipientConnection {
    edges: RecipientEdge[];
    pageInfo: PageInfo;
}

export class AuditVerification {
    ok: boolean;
    checked: number;
    streams: number;
    complete: boolean;
    checks: string[];
    firstBroken?: Nullable<AuditBrokenLink>;
    sealsChecked: number;
    latestSeal?: Nullable<AuditLogSeal>;
}

export class AuditBrokenLink {
    streamId?: Nullable<string>;
    revision?: Nullable<number>;
    position?: Nullable<string>;
    code: string;
    reason: string;
}

export class AuditLogSeal {
    sealId: number;
    position: string;
    events: number;
    hash: string;
    sealedAt: DateTime;
}

export class ErasureAudit {
    subjectType: string;
    subjectId: string;
    requestId: string;
    basis: string;
    erasedAt: DateTime;
    position: string;
    ok: boolean;
    problems: string[];
    keyDestroyed: boolean;
    historyUnreadable: boolean;
    readModelsPurged: boolean;
    receiptHash?: Nullable<string>;
    receiptIntact?: Nullable<boolean>;
}

export class ErasureReceipt {
    requestId: string;
    subjectId: string;
    erasedAt: DateTime;
    basis: ErasureBasis;
    requestedBy: string;
    reference?: Nullable<string>;
    dataKeyDestroyed: boolean;
    historyEventsMadeUnreadable: number;
    readModelsPurged: string[];
    listMembershipsRemoved: number;
    receiptHash: string;
    json: string;
}

export class EraseRecipientPayload {
    receipt: ErasureReceipt;
    alreadyErased: boolean;
}

export class Suppression {
    reason: SuppressionReason;
    suppressedAt: DateTime;
    email?: Nullable<string>;
    recipientId?: Nullable<string>;
}

export class SuppressionEdge {
    cursor: string;
    node: Suppression;
}

export class SuppressionConnection {
    edges: SuppressionEdge[];
    pageInfo: PageInfo;
}

export class OptInRequest {
    recipient: Recipient;
    token: string;
    expiresAt: DateTime;
}

export class ImportSkipped {
    total: number;
    duplicate: number;
    unchanged: number;
    suppressed: number;
    erased: number;
    unsubscribed: number;
    objected: number;
    restricted: number;
}

export class ImportProblem {
    line: number;
    reason: string;
}

export class ImportReport {
    importId: string;
    listId: string;
    rows: number;
    added: number;
    updated: number;
    skipped: ImportSkipped;
    invalid: number;
    problems: ImportProblem[];
    durationMs: number;
}

export class RecipientDataExport {
    recipientId: string;
    generatedAt: DateTime;
    json: string;
    csv: string;
}

export class RetentionPolicy {
    kind: RetentionPolicyKind;
    days: number;
}

export class AppliedRetentionPolicy {
    kind: RetentionPolicyKind;
    days: number;
    cutoff: DateTime;
    removed: number;
}

export class PrivacyRequest {
    id: string;
    kind: PrivacyRequestKind;
    regulation: Regulation;
    subjectType: PrivacySubjectType;
    subjectId?: Nullable<string>;
    reference?: Nullable<string>;
    status: PrivacyRequestStatus;
    outcome?: Nullable<string>;
    receivedAt: DateTime;
    dueAt: DateTime;
    overdue: boolean;
    extended: boolean;
    openedBy: string;
    closedAt?: Nullable<DateTime>;
    closedBy?: Nullable<string>;
}

export class PrivacyRequestEdge {
    cursor: string;
    node: PrivacyRequest;
}

export class PrivacyRequestConnection {
    edges: PrivacyRequestEdge[];
    pageInfo: PageInfo;
}

export class RetentionRun {
    runId: string;
    startedAt: DateTime;
    finishedAt: DateTime;
    recipientsErased: number;
    policies: AppliedRetentionPolicy[];
}

export class AccountErasure {
    accountId: string;
    erasedAt: DateTime;
    alreadyErased: boolean;
}

export class AccountDataExport {
    accountId: string;
    generatedAt: DateTime;
    json: string;
}

export class Plan {
    id: string;
    name: string;
    monthlyMessageQuota?: Nullable<number>;
    maxContacts?: Nullable<number>;
    maxApiKeys?: Nullable<number>;
    priceReference?: Nullable<string>;
}

export class BillingUsage {
    month: string;
    timeZone: string;
    resetsAt: DateTime;
    messagesUsed: number;
    messagesLeft?: Nullable<number>;
    contacts: number;
    apiKeys: number;
}

export class Invoice {
    id: string;
    reference: string;
    amountMinor: number;
    currency: string;
    periodStart: DateTime;
    periodEnd: DateTime;
    issuedAt: DateTime;
}

export class Billing {
    plan: Plan;
    usage: BillingUsage;
    paymentStatus: PaymentStatus;
    paymentStatusSince?: Nullable<DateTime>;
    graceEndsAt?: Nullable<DateTime>;
    launchAllowed: boolean;
    overQuota: QuotaOverflow;
    invoices: Invoice[];
}

export abstract class IQuery {
    abstract viewer(): Viewer | Promise<Viewer>;

    abstract campaign(id: string): Nullable<Campaign> | Promise<Nullable<Campaign>>;

    abstract campaigns(first?: Nullable<number>, after?: Nullable<string>, status?: Nullable<CampaignStatus>): CampaignConnection | Promise<CampaignConnection>;

    abstract campaignMessages(campaignId: string, first?: Nullable<number>, after?: Nullable<string>, status?: Nullable<MessageStatus>): CampaignMessageConnection | Promise<CampaignMessageConnection>;

    abstract projectionStatus(): ProjectionStatus[] | Promise<ProjectionStatus[]>;

    abstract contactList(id: string): Nullable<ContactList> | Promise<Nullable<ContactList>>;

    abstract contactLists(first?: Nullable<number>, after?: Nullable<string>): ContactListConnection | Promise<ContactListConnection>;

    abstract recipient(id: string): Nullable<Recipient> | Promise<Nullable<Recipient>>;

    abstract recipients(listId?: Nullable<string>, first?: Nullable<number>, after?: Nullable<string>, status?: Nullable<MembershipStatus>, email?: Nullable<string>): RecipientConnection | Promise<RecipientConnection>;

    abstract suppressions(first?: Nullable<number>, after?: Nullable<string>, reason?: Nullable<SuppressionReason>): SuppressionConnection | Promise<SuppressionConnection>;

    abstract retentionPolicies(): RetentionPolicy[] | Promise<RetentionPolicy[]>;

    abstract privacyRequests(first?: Nullable<number>, after?: Nullable<string>, status?: Nullable<PrivacyRequestStatus>, overdue?: Nullable<boolean>): PrivacyRequestConnection | Promise<PrivacyRequestConnection>;

    abstract privacyRequest(id: string): Nullable<PrivacyRequest> | Promise<Nullable<PrivacyRequest>>;

    abstract erasureReceipt(recipientId: string): Nullable<ErasureReceipt> | Promise<Nullable<ErasureReceipt>>;

    abstract template(id: string): Nullable<Template> | Promise<Nullable<Template>>;

    abstract templates(first?: Nullable<number>, after?: Nullable<string>): TemplateConnection | Promise<TemplateConnection>;

    abstract previewTemplate(templateId: string, recipientId: string): TemplatePreview | Promise<TemplatePreview>;

    abstract sending(): TenantSending | Promise<TenantSending>;

    abstract auditVerify(from?: Nullable<DateTime>, to?: Nullable<DateTime>): AuditVerification | Promise<AuditVerification>;

    abstract auditErasures(): ErasureAudit[] | Promise<ErasureAudit[]>;

    abstract apiKeys(first?: Nullable<number>, after?: Nullable<string>): ApiKeyConnection | Promise<ApiKeyConnection>;

    abstract apiUsage(days?: Nullable<number>, apiKeyId?: Nullable<string>): ApiUsage | Promise<ApiUsage>;

    abstract accounts(first?: Nullable<number>, after?: Nullable<string>): AccountConnection | Promise<AccountConnection>;

    abstract billing(): Billing | Promise<Billing>;

    abstract plans(): Plan[] | Promise<Plan[]>;
}

export class CampaignDeletion {
    id: string;
    revision: number;
    deletedAt: DateTime;
}

export class LiftSuppressionPayload {
    lifted: boolean;
    remaining?: Nullable<Suppression>;
}

export abstract class IMutation {
    abstract draftCampaign(input: DraftCampaignInput): Campaign | Promise<Campaign>;

    abstract reviseCampaign(input: ReviseCampaignInput): Campaign | Promise<Campaign>;

    abstract scheduleCampaign(input: ScheduleCampaignInput): Campaign | Promise<Campaign>;

    abstract cancelCampaign(input: CancelCampaignInput): Campaign | Promise<Campaign>;

    abstract launchCampaign(input: LaunchCampaignInput): Campaign | Promise<Campaign>;

    abstract pauseCampaign(input: PauseCampaignInput): Campaign | Promise<Campaign>;

    abstract resumeCampaign(input: ResumeCampaignInput): Campaign | Promise<Campaign>;

    abstract pauseSending(): TenantSending | Promise<TenantSending>;

    abstract resumeSending(): TenantSending | Promise<TenantSending>;

    abstract deleteCampaign(input: DeleteCampaignInput): CampaignDeletion | Promise<CampaignDeletion>;

    abstract createTemplate(input: CreateTemplateInput): Template | Promise<Template>;

    abstract reviseTemplate(input: ReviseTemplateInput): Template | Promise<Template>;

    abstract deleteTemplate(id: string): TemplateDeletion | Promise<TemplateDeletion>;

    abstract createContactList(input: CreateContactListInput): ContactList | Promise<ContactList>;

    abstract renameContactList(input: RenameContactListInput): ContactList | Promise<ContactList>;

    abstract deleteContactList(input: DeleteContactListInput): ContactList | Promise<ContactList>;

    abstract addRecipient(input: AddRecipientInput): Recipient | Promise<Recipient>;

    abstract correctRecipient(input: CorrectRecipientInput): Recipient | Promise<Recipient>;

    abstract subscribeRecipient(input: SubscribeRecipientInput): Recipient | Promise<Recipient>;

    abstract unsubscribeRecipient(input: UnsubscribeRecipientInput): Recipient | Promise<Recipient>;

    abstract requestOptIn(input: RequestOptInInput): OptInRequest | Promise<OptInRequest>;

    abstract confirmOptIn(input: ConfirmOptInInput): Recipient | Promise<Recipient>;

    abstract restrictRecipient(input: DataSubjectRequestInput): Recipient | Promise<Recipient>;

    abstract liftRestriction(input: DataSubjectRequestInput): Recipient | Promise<Recipient>;

    abstract objectToProcessing(input: DataSubjectRequestInput): Recipient | Promise<Recipient>;

    abstract eraseRecipient(input: EraseRecipientInput): EraseRecipientPayload | Promise<EraseRecipientPayload>;

    abstract flagRecipientAsChild(input: DataSubjectRequestInput): EraseRecipientPayload | Promise<EraseRecipientPayload>;

    abstract importContacts(input: ImportContactsInput, file?: Nullable<Upload>): ImportReport | Promise<ImportReport>;

    abstract openPrivacyRequest(input: OpenPrivacyRequestInput): PrivacyRequest | Promise<PrivacyRequest>;

    abstract rejectPrivacyRequest(input: RejectPrivacyRequestInput): PrivacyRequest | Promise<PrivacyRequest>;

    abstract extendPrivacyRequest(input: ExtendPrivacyRequestInput): PrivacyRequest | Promise<PrivacyRequest>;

    abstract setRetentionPolicy(input: SetRetentionPolicyInput): RetentionPolicy[] | Promise<RetentionPolicy[]>;

    abstract runRetention(): Nullable<RetentionRun> | Promise<Nullable<RetentionRun>>;

    abstract exportAccountData(): AccountDataExport | Promise<AccountDataExport>;

    abstract eraseAccount(input: EraseAccountInput): AccountErasure | Promise<AccountErasure>;

    abstract suppressEmail(input: SuppressEmailInput): Suppression | Promise<Suppression>;

    abstract liftSuppression(input: LiftSuppressionInput): LiftSuppressionPayload | Promise<LiftSuppressionPayload>;

    abstract exportRecipientData(input: DataSubjectRequestInput): RecipientDataExport | Promise<RecipientDataExport>;

    abstract issueApiKey(input: IssueApiKeyInput): IssuedApiKey | Promise<IssuedApiKey>;

    abstract revokeApiKey(id: string): ApiKey | Promise<ApiKey>;

    abstract changeApiKeyRole(input: ChangeApiKeyRoleInput): ApiKey | Promise<ApiKey>;

    abstract login(input: LoginInput): Session | Promise<Session>;

    abstract logout(): boolean | Promise<boolean>;

    abstract registerAccount(input: RegisterAccountInput): Account | Promise<Account>;

    abstract changeAccountRole(input: ChangeAccountRoleInput): Account | Promise<Account>;

    abstract changePassword(input: ChangePasswordInput): boolean | Promise<boolean>;

    abstract revokeSessions(accountId: string): number | Promise<number>;
}

export type DateTime = Date;
export type JSONObject = unknown;
export type Upload = unknown;

export class ISchema {
    Query: IQuery;
    Mutation: IMutation;
}

type Nullable<T> = T | null;
