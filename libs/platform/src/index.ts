export { AppConfig, ConfigError, loadConfig } from './config/app.config.js';
export { MailpackrRuntime, type RuntimeLogger } from './runtime/mailpackr-runtime.js';
export {
  CommandExecutor,
  type CommandContext,
  type CommandResult,
  encodeEvents,
  uuidFromName,
} from './commands/command-executor.js';
export {
  API_KEY_PREFIX,
  TenantAdministration,
  type CreatedTenant,
  generateApiKey,
  hashApiKey,
} from './commands/tenant-administration.js';
export { packageRoot } from './package-root.js';
export { RedactingConsoleLogger, createLogger } from './logger.js';
export {
  MESSAGE_OUTCOME_OF_EVENT,
  MailpackrMetrics,
  type DependencyCheck,
  type ProjectionLagSource,
  type Readiness,
  ReadinessProbe,
  type RequestOutcome,
  type RequestType,
  type GracefulShutdownOptions,
  installGracefulShutdown,
  instrumentEventStore,
  metricsAccess,
  startOpsHttpServer,
  redactEmails,
  redactLogValue,
} from './observability/index.js';
export {
  Audience,
  DEFAULT_OPT_IN_TTL_MS,
  RECIPIENT_READ_MODELS,
  type AudienceDependencies,
  type EmailIdentity,
  type OneClickOutcome,
  type ResolvedRecipient,
} from './audience/audience.service.js';
export {
  exportRecipient,
  recipientExportRows,
  type RecipientExport,
} from './audience/recipient-export.js';
export { SignedTokens } from './audience/signed-token.js';
export {
  UNSUBSCRIBE_LINK_VALIDITY_DAYS,
  UnsubscribeLinks,
  type UnsubscribeClaims,
} from './audience/unsubscribe-links.js';
export {
  ContactImporter,
  type ImportOptions,
  type ImportProblem,
  type ImportProgress,
  type ImportReport,
  type ImportSkipped,
} from './audience/contact-import.js';
export { STREAMING_HEAP_GROWTH_PERCENT, keepHeapNearLive } from './runtime/heap-policy.js';
export {
  CONTACTS_CSV_DEFAULT_MAX_COLUMNS,
  CONTACTS_CSV_DEFAULT_MAX_ROW_BYTES,
  ContactsCsvError,
  type ContactsCsvBatchOptions,
  type ContactsCsvErrorCode,
  type ContactsCsvInvalidRecord,
  type ContactsCsvMapping,
  type ContactsCsvReadOptions,
  type ContactsCsvRecord,
  type ContactsCsvRow,
  type ContactsCsvSource,
  readContactsCsv,
  readContactsCsvBatches,
} from './csv/contacts-csv.reader.js';
export { csvRecord, escapeCsvCell, toCsv, writeCsv } from './csv/csv-cell.js';
export {
  RETENTION_ACTOR,
  RetentionRunner,
  type RetentionRunReport,
} from './audience/retention-runner.js';
export { AccountRights, type AccountExport } from './audience/account-rights.js';
export {
  ACCOUNT_EMAIL_INDEX_SCOPE,
  Accounts,
  type AccountView,
  type AccountsDependencies,
  type LoginOutcome,
} from './accounts/accounts.service.js';
export { API_KEY_USAGE_INTERVAL_MS, ApiKeyUsage } from './accounts/api-key-usage.js';
export { ApiKeyDirectory, type ApiKeyRecord } from './accounts/api-key-directory.js';
export { LoginLimiter, type LoginAttempt, type LoginLimits } from './accounts/login-limiter.js';
export {
  ARGON2ID_PARAMETERS,
  PASSWORD_LENGTH,
  PasswordError,
  PasswordHasher,
  type PasswordErrorCode,
  checkNewPassword,
  withinPasswordBounds,
} from './accounts/password-hasher.js';
export {
  SESSION_TOKEN_PREFIX,
  SESSION_TOUCH_INTERVAL_MS,
  SessionStore,
  generateSessionToken,
  hashSessionToken,
  type IssuedSession,
  type SessionCheck,
  type SessionLifetimes,
} from './accounts/session-store.js';
export { PrivacyRequests, type TrackedRequest } from './audience/privacy-requests.service.js';
export {
  TEMPLATE_READ_MODELS,
  TemplateService,
  mergeValuesOf,
  type ActiveTemplate,
  type TemplatePreview,
  type TemplateRevisionContent,
  type TemplateServiceDependencies,
} from './templates/template.service.js';
export { TemplateCompiler, type CompiledTemplate } from './templates/template-compiler.js';
export {
  DEFAULT_TEMPLATE_CACHE_SIZE,
  TemplateRenderer,
  htmlToPlainText,
  type MergeValues,
  type RenderedMessage,
  type TemplateRevisionKey,
} from './templates/template-renderer.js';
export {
  checkMergeFields,
  inspectMergeFields,
  type MergeFieldProblem,
  type MergeFieldReport,
} from './templates/merge-fields.js';
export {
  type SendOutcome,
  type SendOutcomeKind,
  classifySendError,
  classifySmtpReply,
  enhancedStatusOf,
} from './delivery/send-outcome.js';
export {
  DEFAULT_SMTP_MAX_CONNECTIONS,
  DEFAULT_SMTP_MAX_MESSAGES,
  MailTransport,
  MailTransportError,
  type MailTransportOptions,
  type OutgoingMessage,
  smtpPoolOptions,
} from './delivery/mail-transport.js';
export {
  type BuiltMessageHeaders,
  MessageHeaderError,
  type MessageHeaderOptions,
  type MessageIds,
  VERP_PREFIX,
  buildMessageHeaders,
  parseVerpAddress,
  parseVerpToken,
  verpAddress,
  verpToken,
} from './delivery/message-headers.js';
export {
  type CapturedMessage,
  DEFAULT_CAPTURE_MAX_MESSAGE_BYTES,
  type RecipientScript,
  type ScriptedReply,
  SmtpCaptureError,
  SmtpCaptureServer,
  type SmtpCaptureServerOptions,
  outboxDir,
} from './delivery/smtp-capture.server.js';
export {
  type Now,
  type RateLimit,
  SendRateLimiter,
  TokenBucket,
  systemNow,
} from './delivery/send-rate-limiter.js';
export {
  DEFAULT_DOMAIN_THROTTLE,
  type DomainResult,
  type DomainState,
  DomainThrottle,
  type DomainThrottleOptions,
  domainOfAddress,
} from './delivery/domain-throttle.js';
export {
  DEFAULT_RETRY_SCHEDULE,
  DEFAULT_RETRY_WINDOW_MS,
  type NextAttempt,
  RetrySchedule,
  type RetryScheduleOptions,
} from './delivery/retry-schedule.js';
export { type DeliverySettings, deliverySettings } from './delivery/delivery-settings.js';
export {
  DEFAULT_CLAIM_LEASE_MS,
  DEFAULT_DELIVERY_BATCH,
  DELIVERY_ACTOR,
  DeliveryError,
  type DeliveryLogger,
  type DeliveryRunReport,
  DeliveryWorker,
  type DeliveryWorkerDependencies,
  MAX_DELIVERY_BATCH,
  nextBatchSize,
} from './delivery/delivery-worker.js';
export {
  type OutcomeCommand,
  fromHeader,
  outcomeCommand,
  redactAddresses,
} from './delivery/delivery-outcome.js';
export {
  LAUNCH_BATCH_SIZE,
  CampaignDelivery,
  type AudienceMember,
  type CampaignDeliveryDependencies,
  type FrozenAudience,
  type LaunchOptions,
  type LaunchReport,
} from './campaigns/campaign-launch.js';
export {
  SCHEDULER_ACTOR,
  SCHEDULER_LOCK,
  CampaignScheduler,
  type SchedulerLogger,
  type SchedulerRunReport,
} from './campaigns/campaign-scheduler.js';
export { classifyBounce, enhancedStatusIn } from './bounces/bounce-classification.js';
export {
  DeliveryFeedback,
  FEEDBACK_MAILBOX,
  UNSUBSCRIBE_MAILBOX,
  type DeliveryFeedbackDependencies,
  type FeedbackOutcome,
  type FeedbackResult,
  type InboundResult,
} from './bounces/delivery-feedback.js';
export {
  InboundMailError,
  InboundMailServer,
  type InboundMailServerOptions,
} from './bounces/inbound-mail.server.js';
export {
  BouncePolicy,
  SOFT_BOUNCES_TO_SUPPRESS,
  SOFT_BOUNCE_LOOKBACK,
  type BouncedMessage,
  type PolicyOutcome,
} from './delivery/bounce-policy.js';
export {
  DEFAULT_SENDING_HEALTH,
  SendingHealth,
  type SendingHealthLimits,
  type TenantSendingHealth,
} from './delivery/sending-health.js';
export {
  DEFAULT_INBOUND_REPORT_MAX_BYTES,
  DEFAULT_INBOUND_REPORT_TIMEOUT_MS,
  type DsnAction,
  type DsnRecipient,
  type InboundReport,
  MAX_REPORT_RECIPIENTS,
  type OriginalMessageRef,
  type ParseInboundReportOptions,
  parseInboundReport,
} from './bounces/inbound-report.js';
export { MessageRenderer, type LaunchedCampaign } from './delivery/message-renderer.js';
export { GroupCommitWriter } from './delivery/group-commit.js';
export {
  WEB_VIEW_LINK_VALIDITY_DAYS,
  WebViewLinks,
  type WebViewClaims,
} from './web-view/web-view-links.js';
export { WebView, type WebViewPage } from './web-view/web-view.service.js';
export {
  AuditReplay,
  AuditReplayError,
  DEFAULT_REPLAY_DIFFERENCES,
  DEFAULT_REPLAY_WAIT_MS,
  REPLAY_BATCH_SIZE,
  type AuditReplayDependencies,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayProjectionReport,
  type ReplayReport,
  type ReplayTableReport,
} from './audit/replay.service.js';
export {
  REPLAY_EXCLUDED_COLUMNS,
  type RowDifference,
  type RowDifferenceKind,
  type TableChecksum,
} from './audit/replay-checksums.js';
export {
  ERASURE_AUDITED_TABLES,
  ERASURE_EVENT_TYPES,
  ErasureAudit,
  type ErasureAuditDependencies,
  type ErasureAuditEntry,
  type ErasureAuditOptions,
  type ErasureSubjectType,
} from './audit/erasure-audit.js';
export {
  OTHER_TENANT,
  exportHistory,
  type HistoryExportDependencies,
  type HistoryExportLine,
  type HistoryExportOptions,
} from './audit/history-export.js';
export {
  ApiUsageRecorder,
  type ApiUsageDay,
  type ApiUsageSample,
} from './usage/api-usage.recorder.js';
export {
  Billing,
  type BillingDependencies,
  type BillingOverview,
  type BillingProviderEvent,
  type BillingRecordsExport,
  type BillingUsage,
  type InvoiceRecord,
  type ProviderInvoice,
} from './billing/billing.service.js';
