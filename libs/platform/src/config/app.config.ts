import { join, resolve } from 'node:path';

import { plainToInstance } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsInt,
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
  if (errors.length > 0) {
    throw new ConfigError(
      errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`)),
    );
  }
  return config;
};
