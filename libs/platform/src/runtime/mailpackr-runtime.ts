import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import { PERSONAL_DATA } from '#domain';
import {
  type AppendResult,
  EmbeddedPostgres,
  type EventStore,
  type EventToAppend,
  PostgresEventStore,
  createPool,
  openEventStoreDb,
  sharesOneSession,
} from '#event-store';
import { PersonalDataCodec, PersonalDataVault, loadKeyEncryptionKey } from '#privacy';
import {
  ALL_PROJECTIONS,
  type ProjectionLogger,
  ProjectionRunner,
  TenantReadModels,
  createTenantReaderDataSource,
  openReadModels,
} from '#projections';

import { Audience } from '../audience/audience.service.js';
import { AccountRights } from '../audience/account-rights.js';
import { Accounts } from '../accounts/accounts.service.js';
import { ApiKeyDirectory } from '../accounts/api-key-directory.js';
import { ApiKeyUsage } from '../accounts/api-key-usage.js';
import { ApiUsageRecorder } from '../usage/api-usage.recorder.js';
import { LoginLimiter } from '../accounts/login-limiter.js';
import { PasswordHasher } from '../accounts/password-hasher.js';
import { SessionStore } from '../accounts/session-store.js';
import { ContactImporter } from '../audience/contact-import.js';
import { PrivacyRequests } from '../audience/privacy-requests.service.js';
import { RetentionRunner } from '../audience/retention-runner.js';
import { CommandExecutor } from '../commands/command-executor.js';
import { TenantAdministration } from '../commands/tenant-administration.js';
import { Billing } from '../billing/billing.service.js';
import { TemplateService } from '../templates/template.service.js';
import { CampaignDelivery } from '../campaigns/campaign-launch.js';
import { CampaignScheduler } from '../campaigns/campaign-scheduler.js';
import type { AppConfig } from '../config/app.config.js';
import { deliverySettings } from '../delivery/delivery-settings.js';
import { DeliveryWorker } from '../delivery/delivery-worker.js';
import { BouncePolicy } from '../delivery/bounce-policy.js';
import { SendingHealth } from '../delivery/sending-health.js';
import { DeliveryFeedback } from '../bounces/delivery-feedback.js';
import { MessageRenderer } from '../delivery/message-renderer.js';
import { WebViewLinks } from '../web-view/web-view-links.js';
import { WebView } from '../web-view/web-view.service.js';
import { MailpackrMetrics } from '../observability/metrics.js';
import { instrumentEventStore } from '../observability/instrumented-event-store.js';
import { ReadinessProbe } from '../observability/readiness.js';

const EMBEDDED_LOCK = 'embedded-server.json';

/** The connection string of a live process serving this data folder's PGlite, if any. */
const runningEmbeddedServer = (dataDir: string): string | undefined => {
  const lock = join(dataDir, EMBEDDED_LOCK);
  if (!existsSync(lock)) return undefined;
  try {
    const { pid, connectionString } = JSON.parse(readFileSync(lock, 'utf8')) as {
      pid: number;
      connectionString: string;
    };
    process.kill(pid, 0); // throws when the process is gone
    return connectionString;
  } catch {
    rmSync(lock, { force: true }); // stale: its process died without cleaning up
    return undefined;
  }
};

export interface RuntimeLogger extends ProjectionLogger {
  warn(message: string): void;
}

/**
 * The composition root: opens storage (embedded PGlite or PostgreSQL, optionally EventStoreDB for
 * the log), the personal-data vault and the read models, in that order, and closes them in
 * reverse. The Nest apps, the CLI and the tests all start MailPackr through here.
 */
export class MailpackrRuntime {
  private constructor(
    readonly config: AppConfig,
    readonly pool: pg.Pool,
    readonly store: EventStore,
    readonly vault: PersonalDataVault,
    readonly codec: PersonalDataCodec,
    readonly readModels: DataSource,
    readonly projections: ProjectionRunner,
    readonly databaseUrl: string,
    /** Prometheus metrics of this runtime (its own registry); `GET /metrics` serves them. */
    readonly metrics: MailpackrMetrics,
    /** Every read of one tenant's read models: the tenant filter and row-level security, in one place. */
    readonly tenantReads: TenantReadModels,
    /** API keys by secret for every request, the keys in use cached (see `ApiKeyDirectory`). */
    readonly apiKeys: ApiKeyDirectory,
    private readonly closers: Array<() => Promise<void>>,
    logger?: RuntimeLogger,
  ) {
    metrics.watchProjections(projections);
    this.readiness = new ReadinessProbe({
      pool,
      store,
      projections,
      maxLag: config.MAILPACKR_READY_MAX_LAG,
    });
    this.commands = new CommandExecutor(store, codec);
    this.billing = new Billing({
      executor: this.commands,
      store,
      readModels,
      tenantReads: this.tenantReads,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      graceDays: config.MAILPACKR_BILLING_GRACE_DAYS,
      recordsRetentionYears: config.MAILPACKR_BILLING_RECORDS_RETENTION_YEARS,
    });
    this.tenants = new TenantAdministration(this.commands, this.billing);
    this.audience = new Audience({
      executor: this.commands,
      store,
      vault,
      codec,
      tenantReads: this.tenantReads,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      publicUrl: config.publicUrl,
    });
    this.contactImport = new ContactImporter({
      audience: this.audience,
      store,
      codec,
      vault,
      contactCapacity: (tenantId) => this.billing.contactCapacity(tenantId),
    });
    this.templates = new TemplateService({
      executor: this.commands,
      audience: this.audience,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      publicUrl: config.publicUrl,
    });
    this.privacyRequests = new PrivacyRequests({
      executor: this.commands,
      waitForReadModel: async (position) => {
        if (position)
          await projections.waitFor(
            position,
            ['privacy-requests'],
            config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
          );
      },
    });
    this.sessions = new SessionStore(pool, {
      idleMinutes: config.MAILPACKR_SESSION_IDLE_MINUTES,
      maxHours: config.MAILPACKR_SESSION_MAX_HOURS,
    });
    this.apiKeyUsage = new ApiKeyUsage(pool);
    this.apiUsage = new ApiUsageRecorder(pool, {
      flushMs: config.MAILPACKR_API_USAGE_FLUSH_MS,
      retentionDays: config.MAILPACKR_API_USAGE_RETENTION_DAYS,
    });
    this.apiUsage.start();
    // Closers run last-first: the counts are written before the pool closes.
    closers.push(() => this.apiUsage.stop());
    this.registeredAccounts = new Accounts({
      executor: this.commands,
      vault,
      codec,
      pool,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      hasher: new PasswordHasher(),
      sessions: this.sessions,
      limiter: new LoginLimiter(
        {
          maxFailuresPerAccount: config.MAILPACKR_LOGIN_MAX_FAILURES_PER_ACCOUNT,
          maxFailuresPerIp: config.MAILPACKR_LOGIN_MAX_FAILURES_PER_IP,
          windowMinutes: config.MAILPACKR_LOGIN_WINDOW_MINUTES,
        },
        vault.deriveKey('login-client-ip'),
      ),
    });
    this.accounts = new AccountRights({
      billing: this.billing,
      executor: this.commands,
      vault,
      tenantReads: this.tenantReads,
      accounts: this.registeredAccounts,
      sessions: this.sessions,
      waitFor: async (position, names) => {
        if (position)
          await projections.waitFor(position, names, config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS);
      },
      waitForTenants: async (position) => {
        if (position)
          await projections.waitFor(
            position,
            ['tenants'],
            config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
          );
      },
    });
    this.retention = new RetentionRunner({
      audience: this.audience,
      executor: this.commands,
      readModels,
    });
    this.campaigns = new CampaignDelivery({
      executor: this.commands,
      store,
      codec,
      readModels,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      launchGuard: (tenantId, recipients, now) =>
        this.billing.launchAllowance(tenantId, recipients, now),
      releaseGuard: (tenantId, held, now) => this.billing.releaseAllowance(tenantId, held, now),
    });
    this.scheduler = new CampaignScheduler({ delivery: this.campaigns, pool, readModels });
    this.audience.onErased((tenantId, recipientId) =>
      this.delivery.forgetRecipient(tenantId, recipientId),
    );
    const verpKey = vault.deriveKey('verp-return-path');
    const messageRenderer = new MessageRenderer(this.templates);
    const webViewLinks = new WebViewLinks(vault.deriveKey('web-view-link'), config.publicUrl);
    this.webView = new WebView({
      executor: this.commands,
      audience: this.audience,
      renderer: messageRenderer,
      links: webViewLinks,
    });
    this.sendingHealth = new SendingHealth({
      executor: this.commands,
      readModels,
      limits: {
        bounceRate: config.MAILPACKR_PAUSE_BOUNCE_RATE,
        complaintRate: config.MAILPACKR_PAUSE_COMPLAINT_RATE,
        windowHours: config.MAILPACKR_PAUSE_WINDOW_HOURS,
        minMessages: config.MAILPACKR_PAUSE_MIN_MESSAGES,
      },
      logger,
    });
    const bouncePolicy = new BouncePolicy({
      audience: this.audience,
      readModels,
      projections,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
    });
    this.feedback = new DeliveryFeedback({
      executor: this.commands,
      audience: this.audience,
      projections,
      policy: bouncePolicy,
      health: this.sendingHealth,
      verpKey,
      bounceDomain: config.MAILPACKR_BOUNCE_DOMAIN,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      maxBytes: config.MAILPACKR_INBOUND_MAX_MB * 1024 * 1024,
      logger,
    });
    this.delivery = new DeliveryWorker({
      executor: this.commands,
      policy: bouncePolicy,
      health: this.sendingHealth,
      store,
      readModels,
      projections,
      audience: this.audience,
      renderer: messageRenderer,
      webViewLinks,
      settings: deliverySettings(config),
      verpKey,
      leaseMs: config.MAILPACKR_CLAIM_LEASE_MS,
      bounceDomain: config.MAILPACKR_BOUNCE_DOMAIN,
      readYourWritesTimeoutMs: config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS,
      logger,
    });
    // Closed first (closers run in reverse): sends under way finish while the store is open.
    closers.push(() => this.delivery.close());
  }

  /**
   * Sends due campaign messages over SMTP (the worker's loop; `runOnce` in tests). Its SMTP side,
   * and with `SMTP_URL` unset the embedded capture server, opens on first use.
   */
  readonly delivery: DeliveryWorker;

  /**
   * Bounces, complaints and mailto unsubscribes that come back after sending (the inbound SMTP
   * listener and the delivery-events webhook hand their reports here).
   */
  readonly feedback: DeliveryFeedback;

  /** "View in your browser": a campaign message for the holder of its signed link. */
  readonly webView: WebView;

  /** Tenants' bounce and complaint rates, and the automatic sending pause. */
  readonly sendingHealth: SendingHealth;

  /** Campaign launch (frozen audience, one queued message per recipient), pause, resume, cancel. */
  readonly campaigns: CampaignDelivery;

  /** Launches due campaigns (scheduled in the worker; `runOnce` for tests and the CLI). */
  readonly scheduler: CampaignScheduler;

  /** Data-subject request tracking: received time, legal due date, status. */
  readonly privacyRequests: PrivacyRequests;

  /** Account holders' own export and erasure (MailPackr as controller). */
  readonly accounts: AccountRights;

  /** People's login accounts: registration, login, password and role changes. */
  readonly registeredAccounts: Accounts;

  /** Login sessions (operational state, not a projection). */
  readonly sessions: SessionStore;

  /** API keys' last-used times (operational state, written at most once a minute per key). */
  readonly apiKeyUsage: ApiKeyUsage;

  /** API usage metrics per tenant, caller, operation and day (`apiUsage`). */
  readonly apiUsage: ApiUsageRecorder;

  /** Applies the tenants' retention policies (scheduled in the worker, or `mailpackr retention run`). */
  readonly retention: RetentionRunner;

  /** Recipients and their rights: identity by email, erasure, opt-in, export. */
  readonly audience: Audience;

  /** CSV imports into a contact list. */
  readonly contactImport: ContactImporter;

  /** MJML templates: strict validation and compilation per revision, per-recipient fill, preview. */
  readonly templates: TemplateService;

  /** `GET /ready`: database, event store, projection lag, and whether shutdown has begun. */
  readonly readiness: ReadinessProbe;

  /** Plans (data), quotas, the tenants' subscriptions, invoices and payment status. */
  readonly billing: Billing;

  /** Load → decide → append, with personal fields encrypted on the way in. */
  readonly commands: CommandExecutor;
  /** Operator actions on tenants (CLI, first start). */
  readonly tenants: TenantAdministration;

  static async start(config: AppConfig, logger?: RuntimeLogger): Promise<MailpackrRuntime> {
    const closers: Array<() => Promise<void>> = [];
    const close = async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    };
    try {
      let databaseUrl = config.DATABASE_URL;
      let freshEmbedded = false;
      if (!databaseUrl) {
        const running = runningEmbeddedServer(config.dataDir);
        if (running) {
          // Another MailPackr process owns the data folder: share its embedded server.
          databaseUrl = running;
        } else {
          const folder = join(config.dataDir, 'pglite');
          freshEmbedded = !existsSync(folder);
          const embedded = await EmbeddedPostgres.start(folder);
          closers.push(() => embedded.stop());
          databaseUrl = embedded.connectionString;
          const lock = join(config.dataDir, EMBEDDED_LOCK);
          writeFileSync(lock, JSON.stringify({ pid: process.pid, connectionString: databaseUrl }), {
            mode: 0o600,
          });
          closers.push(() => rm(lock, { force: true }));
        }
      }
      const pool = createPool(databaseUrl, config.embedded ? 8 : 20);
      closers.push(() => pool.end());

      const kek = await loadKeyEncryptionKey({
        base64: config.MAILPACKR_KEK,
        file: config.MAILPACKR_KEK ? undefined : config.kekFile,
        // A missing key file next to existing data is an error, never a silent new key.
        createIfMissing: config.embedded ? freshEmbedded : !existsSync(config.kekFile),
      });
      const vault = await PersonalDataVault.open(pool, kek);
      const codec = new PersonalDataCodec(vault, PERSONAL_DATA);

      // Every append of the process goes through this store: counted once, here.
      const metrics = new MailpackrMetrics();
      // The API key cache hears of this process's own key changes before their append returns.
      const appended: Array<(events: readonly EventToAppend[], result: AppendResult) => void> = [];
      const store: EventStore = instrumentEventStore(
        config.EVENTSTORE_URL
          ? await openEventStoreDb(config.EVENTSTORE_URL)
          : await PostgresEventStore.open(pool, { listen: !config.embedded }),
        metrics,
        (events, result) => appended.forEach((observe) => observe(events, result)),
      );
      closers.push(() => store.close());

      const readModels = await openReadModels(databaseUrl);
      closers.push(() => readModels.destroy());

      // PostgreSQL: tenant reads get connections of their own, kept in the reader role per tenant
      // (one round trip a read). PGlite shares one session: reads there run in a transaction.
      const tenantReads = new TenantReadModels(
        readModels,
        (await sharesOneSession(pool)) ? undefined : createTenantReaderDataSource(databaseUrl),
      );
      closers.push(() => tenantReads.close());

      const projections = new ProjectionRunner(store, pool, ALL_PROJECTIONS, logger);
      closers.push(() => projections.stop());
      const apiKeys = new ApiKeyDirectory({
        pool,
        store,
        readModelReached: (position) =>
          projections.waitFor(position, ['api-keys'], config.MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS),
      });
      appended.push((events, result) => apiKeys.observeAppended(events, result));
      closers.push(() => apiKeys.close());
      if (config.embedded)
        logger?.warn(
          'Embedded PGlite store: for trying and developing, not for production (no fsync, one query at a time).',
        );
      return new MailpackrRuntime(
        config,
        pool,
        store,
        vault,
        codec,
        readModels,
        projections,
        databaseUrl,
        metrics,
        tenantReads,
        apiKeys,
        closers,
        logger,
      );
    } catch (error) {
      await close();
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    this.closers.length = 0;
  }
}
