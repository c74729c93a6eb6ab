import { join, resolve } from 'node:path';

import { plainToInstance } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/**
 * Every setting MailPackr reads, validated once at start. This is the only place that reads
 * `process.env`; everything else receives an `AppConfig`.
 */
export class AppConfig {
  /** PostgreSQL for the event log and the read models. Unset: embedded PGlite in the data folder. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /** EventStoreDB for the event log (read models stay in PostgreSQL / PGlite). */
  @IsOptional()
  @Matches(/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover):\/\/\S+$/, {
    message: 'EVENTSTORE_URL must be an esdb:// connection string',
  })
  EVENTSTORE_URL?: string;

  @IsString()
  MAILPACKR_DATA_DIR: string = '.mailpackr';

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 4000;

  @IsString()
  HOST: string = '127.0.0.1';

  /**
   * Where recipients reach this server from the internet: the base of the links in every email
   * (one-click unsubscribe, web view). Default: http://<HOST>:<PORT>.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'MAILPACKR_PUBLIC_URL must be an http(s) URL without query or fragment',
  })
  MAILPACKR_PUBLIC_URL?: string;

  /** Key-encryption key, base64 of 32 bytes. Takes precedence over the key file. */
  @IsOptional()
  @IsBase64()
  MAILPACKR_KEK?: string;

  /** Key file; defaults to `<data dir>/kek.key`, generated on first start. */
  @IsOptional()
  @IsString()
  MAILPACKR_KEK_FILE?: string;

  /** Sets the first owner API key instead of generating one (for scripts). */
  @IsOptional()
  @MinLength(32)
  @Matches(/^[A-Za-z0-9_-]+$/, {
    message: 'MAILPACKR_BOOTSTRAP_API_KEY may only hold A-Z a-z 0-9 _ -',
  })
  MAILPACKR_BOOTSTRAP_API_KEY?: string;

  /**
   * The API key tenant-scoped CLI commands (`import`, `erase`, `export`…) run as: the tenant and
   * the role come from it, as for the API. An environment variable, not an option, so it stays
   * out of shell history.
   */
  @IsOptional()
  @IsString()
  MAILPACKR_API_KEY?: string;

  /** What this process runs: `all` (API and worker), `api` or `worker`. */
  @IsIn(['all', 'api', 'worker'])
  MAILPACKR_MODE: 'all' | 'api' | 'worker' = 'all';

  /** How long a mutation waits for its read model before answering. */
  @IsInt()
  @Min(0)
  @Max(60_000)
  MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS: number = 5000;

  /** The largest CSV file `importContacts` takes as a multipart upload, in MiB. */
  @IsInt()
  @Min(1)
  @Max(4096)
  MAILPACKR_UPLOAD_MAX_MB: number = 256;

  /** How often the worker applies the tenants' retention policies; 0 turns the schedule off. */
  @IsInt()
  @Min(0)
  @Max(7 * 24 * 60)
  MAILPACKR_RETENTION_INTERVAL_MINUTES: number = 60;

  /**
   * SMTP server campaign mail goes to: `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or
   * `smtps://…`. Unset: the embedded capture server, which stores every message as a `.eml` file
   * in `<data dir>/outbox`.
   */
  @IsOptional()
  @Matches(/^smtps?:\/\/(?:[^\s@/]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?\/?$/, {
    message: 'SMTP_URL must be an smtp:// or smtps:// URL',
  })
  SMTP_URL?: string;

  /** Loopback port of the embedded capture server (used when `SMTP_URL` is unset); 0: any free port. */
  @IsInt()
  @Min(0)
  @Max(65535)
  MAILPACKR_SMTP_CAPTURE_PORT: number = 2525;

  /**
   * How often the worker sends due campaign messages, in milliseconds; 0 turns sending off in
   * this process (and the embedded capture server is not started).
   */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  MAILPACKR_DELIVERY_INTERVAL_MS: number = 1000;

  /**
   * Domain of the VERP return path (`bounces+<token>@<domain>`) and of the unsubscribe mailbox:
   * its MX should be the inbound bounce listener.
   */
  @Matches(
    /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i,
    { message: 'MAILPACKR_BOUNCE_DOMAIN must be a domain name like bounces.example.com' },
  )
  MAILPACKR_BOUNCE_DOMAIN: string = 'bounces.mailpackr.localhost';

  /**
   * How long a worker's claim on a message holds (ms): longer than any SMTP transaction. A worker
   * that dies mid-send leaves its claims to lapse after this, then another worker sends them.
   */
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  MAILPACKR_CLAIM_LEASE_MS: number = 120_000;

  /**
   * Port of the inbound SMTP listener for bounces, complaints and mailto unsubscribes sent to the
   * bounce domain (run by the worker); unset: no listener; 0: any free port.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  MAILPACKR_INBOUND_SMTP_PORT?: number;

  /** Address the inbound SMTP listener binds to (`0.0.0.0` to take mail from other hosts). */
  @IsString()
  @MinLength(1)
  MAILPACKR_INBOUND_SMTP_HOST: string = '127.0.0.1';

  /** Largest inbound report accepted, in MiB (a DSN returns at most the original's headers). */
  @IsInt()
  @Min(1)
  @Max(50)
  MAILPACKR_INBOUND_MAX_MB: number = 10;

  /**
   * Shared secret of the delivery-events webhook (`POST /webhooks/delivery-events`, HMAC-SHA256
   * signature); unset: the webhook is off. At least 32 characters.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'MAILPACKR_WEBHOOK_SECRET must be at least 32 characters' })
  MAILPACKR_WEBHOOK_SECRET?: string;

  /** A tenant's sending pauses when its bounce rate over the window passes this fraction. */
  @IsNumber()
  @Min(0.001)
  @Max(1)
  MAILPACKR_PAUSE_BOUNCE_RATE: number = 0.1;

  /** A tenant's sending pauses when its complaint rate over the window passes this fraction. */
  @IsNumber()
  @Min(0.0001)
  @Max(1)
  MAILPACKR_PAUSE_COMPLAINT_RATE: number = 0.005;

  /** The window of the bounce and complaint rates, in hours. */
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  MAILPACKR_PAUSE_WINDOW_HOURS: number = 24;

  /** Messages the window must hold before its rates can pause a tenant (small samples mislead). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAILPACKR_PAUSE_MIN_MESSAGES: number = 100;

  /** Pooled SMTP connections per worker process. */
  @IsInt()
  @Min(1)
  @Max(100)
  MAILPACKR_SMTP_MAX_CONNECTIONS: number = 5;

  /**
   * How long the SMTP client waits for the server, in milliseconds: to connect, for its greeting,
   * and for each reply (DATA's included). Unset: 30 s, 30 s and 60 s. Keep it well under
   * `MAILPACKR_CLAIM_LEASE_MS`. A message whose reply to DATA times out may have arrived: it is
   * deferred, and its retry is the logged duplicate window.
   */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  MAILPACKR_SMTP_TIMEOUT_MS?: number;

  /** Messages sent over one SMTP connection before it is replaced. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAILPACKR_SMTP_MAX_MESSAGES: number = 100;

  /** Messages per second each tenant may send (token bucket rate). */
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAILPACKR_SEND_RATE: number = 100;

  /** Messages a tenant may send at once after a quiet spell (token bucket size). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAILPACKR_SEND_BURST: number = 200;

  /** Concurrent SMTP transactions per destination domain (halved while it throttles us). */
  @IsInt()
  @Min(1)
  @Max(1000)
  MAILPACKR_DOMAIN_CONCURRENCY: number = 5;

  /** How long a deferred message is retried before it is recorded as failed. */
  @IsInt()
  @Min(1)
  @Max(24 * 14)
  MAILPACKR_RETRY_WINDOW_HOURS: number = 24;

  /**
   * How often the worker looks for scheduled campaigns whose time has come (and launches that
   * were interrupted), in milliseconds; 0 turns the scheduler off.
   */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  MAILPACKR_SCHEDULER_INTERVAL_MS: number = 5000;

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  get dataDir(): string {
    return resolve(this.MAILPACKR_DATA_DIR);
  }

  get kekFile(): string {
    return resolve(this.MAILPACKR_KEK_FILE ?? join(this.dataDir, 'kek.key'));
  }

  /** `MAILPACKR_PUBLIC_URL` without a trailing slash. */
  get publicUrl(): string {
    return (this.MAILPACKR_PUBLIC_URL ?? `http://${this.HOST}:${this.PORT}`).replace(/\/+$/, '');
  }

  /** `SMTP_URL`, or the embedded capture server on its loopback port. */
  get smtpUrl(): string {
    return this.SMTP_URL ?? `smtp://127.0.0.1:${this.MAILPACKR_SMTP_CAPTURE_PORT}`;
  }

  /** True when mail goes to the embedded capture server (`SMTP_URL` unset). */
  get embeddedSmtp(): boolean {
    return !this.SMTP_URL;
  }

  get embedded(): boolean {
    return !this.DATABASE_URL;
  }
}

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const KNOWN = new Set(
  Object.keys(new AppConfig()).concat([
    'DATABASE_URL',
    'EVENTSTORE_URL',
    'MAILPACKR_KEK',
    'MAILPACKR_KEK_FILE',
    'MAILPACKR_BOOTSTRAP_API_KEY',
    'MAILPACKR_API_KEY',
    'SMTP_URL',
    'MAILPACKR_INBOUND_SMTP_PORT',
    'MAILPACKR_SMTP_TIMEOUT_MS',
    'MAILPACKR_WEBHOOK_SECRET',
  ]),
);

/** Reads and validates the configuration. Throws `ConfigError` naming every problem. */
export const loadConfig = (
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<string, string>> = {},
): AppConfig => {
  const raw: Record<string, unknown> = {};
  for (const key of KNOWN) {
    const value = overrides[key] ?? env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: false });
  const problems = errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`),
  );
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};

/** nodemailer's own timeouts: connection 30 s, greeting 30 s, each reply 60 s. */
const DEFAULT_SMTP_TRANSACTION_MS = 120_000;

/** Settings that are each valid but do not fit together. */
const crossChecks = (config: AppConfig): string[] => {
  const problems: string[] = [];
  // A claim must outlive the longest SMTP transaction (connect, greeting, reply), or another
  // worker takes the message over while it is still being sent: a duplicate.
  const transaction =
    config.MAILPACKR_SMTP_TIMEOUT_MS === undefined
      ? DEFAULT_SMTP_TRANSACTION_MS
      : 3 * config.MAILPACKR_SMTP_TIMEOUT_MS;
  if (config.MAILPACKR_CLAIM_LEASE_MS < transaction) {
    problems.push(
      `MAILPACKR_CLAIM_LEASE_MS: must be at least ${transaction} ms, the longest an SMTP transaction ` +
        'can take (3 × MAILPACKR_SMTP_TIMEOUT_MS, or 120000 with the default timeouts); ' +
        'lower MAILPACKR_SMTP_TIMEOUT_MS or raise the lease',
    );
  }
  return problems;
};
