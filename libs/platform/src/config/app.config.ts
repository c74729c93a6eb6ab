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

  /**
   * Instead of an API key: a login session (`mps_…`, from `mailpackr login` or the `login`
   * mutation) the tenant-scoped CLI commands run as, with the account's current role, so the
   * history names the person who ran them. Not both.
   */
  @IsOptional()
  @Matches(/^mps_\S+$/, {
    message: '$property must be a session token (mps_…), as mailpackr login prints it',
  })
  MAILPACKR_SESSION_TOKEN?: string;

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

  /** How often API usage counts are written to `api_usage_daily` (ms); 0: only on shutdown. */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  MAILPACKR_API_USAGE_FLUSH_MS: number = 5000;

  /** How many days of API usage metrics are kept. */
  @IsInt()
  @Min(1)
  @Max(3650)
  MAILPACKR_API_USAGE_RETENTION_DAYS: number = 400;

  /**
   * Shared secret of the billing webhook (`POST /webhooks/billing-events`, HMAC-SHA256 signature,
   * the same scheme as the delivery-events webhook); unset: the billing webhook is off.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'MAILPACKR_BILLING_WEBHOOK_SECRET must be at least 32 characters' })
  MAILPACKR_BILLING_WEBHOOK_SECRET?: string;

  /** Days a payment may stay past due before new campaigns can no longer launch (0 to 90). */
  @IsInt()
  @Min(0)
  @Max(90)
  MAILPACKR_BILLING_GRACE_DAYS: number = 14;

  /** Years billing records are kept (legal obligation), even after the account is erased. */
  @IsInt()
  @Min(1)
  @Max(30)
  MAILPACKR_BILLING_RECORDS_RETENTION_YEARS: number = 10;

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

  /**
   * `json` (one JSON object a line, for log collectors) or `text` (readable lines). Unset: json
   * when NODE_ENV is production, text otherwise.
   */
  @IsOptional()
  @IsIn(['json', 'text'], { message: 'MAILPACKR_LOG_FORMAT must be json or text' })
  MAILPACKR_LOG_FORMAT?: 'json' | 'text';

  /**
   * `GET /ready` answers 503 while any projection is more than this many events behind the log
   * (at most 10000: the lag is counted up to 10001).
   */
  @IsInt({ message: 'MAILPACKR_READY_MAX_LAG must be a whole number of events' })
  @Min(0)
  @Max(10_000)
  MAILPACKR_READY_MAX_LAG: number = 10_000;

  /**
   * Bearer token `GET /metrics` requires (`Authorization: Bearer <token>`), at least 16
   * characters. Unset: /metrics is open when the API listens on a loopback address (the default
   * HOST) or NODE_ENV is not production, and answers 404 otherwise.
   */
  @IsOptional()
  @MinLength(16, { message: 'MAILPACKR_METRICS_TOKEN must be at least 16 characters' })
  @Matches(/^[A-Za-z0-9._~+/=-]+$/, {
    message: 'MAILPACKR_METRICS_TOKEN may only hold A-Z a-z 0-9 . _ ~ + / = -',
  })
  MAILPACKR_METRICS_TOKEN?: string;

  /**
   * On SIGTERM / SIGINT, how long in-flight requests, the current delivery round and projection
   * batches get to finish before the process exits anyway (a second signal exits at once).
   */
  @IsInt({ message: 'MAILPACKR_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(1000)
  @Max(600_000)
  MAILPACKR_SHUTDOWN_TIMEOUT_MS: number = 30_000;

  /**
   * How many API processes `npm start` runs, sharing one port (Node's cluster module): Node runs
   * JavaScript on one core, so a machine with more cores serves more with more processes. Needs
   * PostgreSQL (`DATABASE_URL`): the embedded PGlite lives in one process.
   */
  @IsInt({ message: 'MAILPACKR_API_PROCESSES must be a whole number' })
  @Min(1)
  @Max(64)
  MAILPACKR_API_PROCESSES: number = 1;

  /**
   * Port on which a worker-only process (`MAILPACKR_MODE=worker`) serves `/health`, `/ready` and
   * `/metrics` on HOST; unset: none (the API process serves them on PORT); 0: any free port.
   */
  @IsOptional()
  @IsInt({ message: 'MAILPACKR_WORKER_HTTP_PORT must be a port number' })
  @Min(0)
  @Max(65535)
  MAILPACKR_WORKER_HTTP_PORT?: number;

  /**
   * GraphQL introspection (`__schema`, `__type`): `true` or `false`. Unset: on unless NODE_ENV is
   * production.
   */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'MAILPACKR_GRAPHQL_INTROSPECTION must be true or false' })
  MAILPACKR_GRAPHQL_INTROSPECTION?: 'true' | 'false';

  /**
   * "Did you mean …?" hints in GraphQL validation errors (they reveal the schema): `true` or
   * `false`. Unset: on unless NODE_ENV is production.
   */
  @IsOptional()
  @IsIn(['true', 'false'], {
    message: 'MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS must be true or false',
  })
  MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS?: 'true' | 'false';

  /** The deepest nesting of fields a GraphQL operation may have. */
  @IsInt()
  @Min(2)
  @Max(100)
  MAILPACKR_GRAPHQL_MAX_DEPTH: number = 10;

  /**
   * The most an operation may cost, in points (README, "GraphQL limits": objects 1, pages count
   * `first` items, mutations 10 more).
   */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  MAILPACKR_GRAPHQL_MAX_COST: number = 10_000;

  /** Aliases an operation may hold (sensitive fields such as `login` can never be aliased). */
  @IsInt()
  @Min(0)
  @Max(1000)
  MAILPACKR_GRAPHQL_MAX_ALIASES: number = 15;

  /** Directives (`@include`, `@skip`…) an operation may hold. */
  @IsInt()
  @Min(0)
  @Max(1000)
  MAILPACKR_GRAPHQL_MAX_DIRECTIVES: number = 10;

  /** Tokens (names, punctuation, values) a GraphQL document may hold; counted before parsing. */
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  MAILPACKR_GRAPHQL_MAX_TOKENS: number = 2000;

  /** Characters a GraphQL document may hold (variables are not counted; the body limit is 2 MB). */
  @IsInt()
  @Min(1000)
  @Max(2_000_000)
  MAILPACKR_GRAPHQL_MAX_QUERY_CHARS: number = 20_000;

  /** How long a GraphQL operation may run, in milliseconds; past it the answer is TIMEOUT. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  MAILPACKR_GRAPHQL_TIMEOUT_MS: number = 10_000;

  /**
   * Each tenant's GraphQL budget, in cost points per minute (an operation costs at least 1); 0
   * turns the limit off. Counted per API process.
   */
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE: number = 60_000;

  /** A login session ends after this many minutes without a request (each request slides it). */
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  MAILPACKR_SESSION_IDLE_MINUTES: number = 30;

  /** A login session ends this many hours after login, however active (absolute lifetime). */
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  MAILPACKR_SESSION_MAX_HOURS: number = 12;

  /** Failed logins per account (email) in the window before logins to it are refused for a while. */
  @IsInt()
  @Min(1)
  @Max(1000)
  MAILPACKR_LOGIN_MAX_FAILURES_PER_ACCOUNT: number = 5;

  /** Failed logins per client IP in the window before its logins are refused for a while. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAILPACKR_LOGIN_MAX_FAILURES_PER_IP: number = 20;

  /**
   * Which proxies in front of the API to trust for the client IP (`X-Forwarded-For`), as
   * Express's `trust proxy` takes it: a number of hops (`1`), `loopback`, or addresses / CIDRs
   * separated by commas. Unset: none; the client IP is the connection's (every client behind one
   * proxy then shares the login limit per IP).
   */
  @IsOptional()
  @Matches(/^(\d{1,2}|loopback|linklocal|uniquelocal|[0-9A-Fa-f:./]+(\s*,\s*[0-9A-Fa-f:./]+)*)$/, {
    message:
      'MAILPACKR_TRUST_PROXY must be a number of hops, loopback, linklocal, uniquelocal or addresses/CIDRs separated by commas',
  })
  MAILPACKR_TRUST_PROXY?: string;

  /** The window of the two login limits, in minutes (counted per API process). */
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  MAILPACKR_LOGIN_WINDOW_MINUTES: number = 15;

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

  /** `MAILPACKR_TRUST_PROXY` as Express takes it: a hop count, or names and addresses. */
  get trustProxy(): number | string[] | undefined {
    const value = this.MAILPACKR_TRUST_PROXY;
    if (value === undefined) return undefined;
    return /^\d+$/.test(value) ? Number(value) : value.split(',').map((v) => v.trim());
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

  /** `MAILPACKR_GRAPHQL_INTROSPECTION`, or on unless NODE_ENV is production. */
  get graphqlIntrospection(): boolean {
    const value = this.MAILPACKR_GRAPHQL_INTROSPECTION;
    return value === undefined ? this.NODE_ENV !== 'production' : value === 'true';
  }

  /** `MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS`, or on unless NODE_ENV is production. */
  get graphqlFieldSuggestions(): boolean {
    const value = this.MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS;
    return value === undefined ? this.NODE_ENV !== 'production' : value === 'true';
  }

  /** `MAILPACKR_LOG_FORMAT`, or json in production and text otherwise. */
  get logFormat(): 'json' | 'text' {
    return this.MAILPACKR_LOG_FORMAT ?? (this.NODE_ENV === 'production' ? 'json' : 'text');
  }

  /** Whether `GET /metrics` is served without a token (see `MAILPACKR_METRICS_TOKEN`). */
  get metricsOpen(): boolean {
    const loopback =
      ['127.0.0.1', '::1', 'localhost'].includes(this.HOST) || /^127\./.test(this.HOST);
    return this.NODE_ENV !== 'production' || loopback;
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
    'MAILPACKR_SESSION_TOKEN',
    'SMTP_URL',
    'MAILPACKR_INBOUND_SMTP_PORT',
    'MAILPACKR_SMTP_TIMEOUT_MS',
    'MAILPACKR_WEBHOOK_SECRET',
    'MAILPACKR_BILLING_WEBHOOK_SECRET',
    'MAILPACKR_GRAPHQL_INTROSPECTION',
    'MAILPACKR_GRAPHQL_FIELD_SUGGESTIONS',
    'MAILPACKR_LOG_FORMAT',
    'MAILPACKR_METRICS_TOKEN',
    'MAILPACKR_WORKER_HTTP_PORT',
    'MAILPACKR_TRUST_PROXY',
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
  if (config.MAILPACKR_API_PROCESSES > 1 && !config.DATABASE_URL) {
    problems.push(
      'MAILPACKR_API_PROCESSES: more than 1 needs DATABASE_URL (PostgreSQL); the embedded PGlite ' +
        'lives in one process',
    );
  }
  // An operation the cost limit admits must fit in a tenant's budget, or it could never run.
  const budget = config.MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE;
  if (budget > 0 && config.MAILPACKR_GRAPHQL_MAX_COST > budget) {
    problems.push(
      `MAILPACKR_GRAPHQL_MAX_COST: must not exceed MAILPACKR_RATE_LIMIT_POINTS_PER_MINUTE (${budget}), ` +
        'or an operation the cost limit admits could never run',
    );
  }
  return problems;
};
