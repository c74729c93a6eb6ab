import {
  type AccountEvent,
  AccountError,
  type ApiKeyRole,
  accountDecider,
  checkEmail,
  evolveAll,
  toAccountStreamId,
} from '#domain';
import type { Position } from '#event-store';
import { ERASED, type PersonalDataCodec, type PersonalDataVault } from '#privacy';
import type { ProjectionRunner } from '#projections';
import type pg from 'pg';

import {
  type CommandContext,
  type CommandExecutor,
  uuidFromName,
} from '../commands/command-executor.js';
import type { LoginLimiter } from './login-limiter.js';
import {
  PasswordError,
  type PasswordHasher,
  checkNewPassword,
  withinPasswordBounds,
} from './password-hasher.js';
import type { IssuedSession, SessionStore } from './session-store.js';

/** The scope of the accounts' email index: one for the whole platform (emails are unique in it). */
export const ACCOUNT_EMAIL_INDEX_SCOPE = 'platform:accounts';

export type LoginOutcome =
  | { status: 'ok'; session: IssuedSession; accountId: string; tenantId: string; role: ApiKeyRole }
  | { status: 'invalid' }
  | { status: 'limited'; retryAfterSeconds: number };

/** A registered account as the API shows it: personal fields decrypted, `[erased]` once shredded. */
export interface AccountView {
  accountId: string;
  tenantId: string;
  email: string;
  name: string;
  company: string;
  role: ApiKeyRole;
  registeredAt: Date;
  erasedAt: Date | null;
}

interface AccountLookupRow {
  account_id: string;
  tenant_id: string;
  role: string;
  email: unknown;
  name: unknown;
  company: unknown;
  registered_at: Date;
  erased_at: Date | null;
}

export interface AccountsDependencies {
  executor: CommandExecutor;
  vault: PersonalDataVault;
  codec: PersonalDataCodec;
  pool: pg.Pool;
  projections: ProjectionRunner;
  readYourWritesTimeoutMs: number;
  hasher: PasswordHasher;
  sessions: SessionStore;
  limiter: LoginLimiter;
}

/**
 * People's login accounts inside a tenant: registration (argon2id hash, never the password, goes
 * into the event, encrypted under the account's key), login into a session, password and role
 * changes. The account id is derived from the platform-wide email index, so an address can hold
 * one account only, even under concurrent registrations.
 */
/** How many times one address may be registered, erased and registered again. */
const MAX_ACCOUNTS_PER_ADDRESS = 100;

/** The id of an address's account: generation 0 is the first, each erasure moves to the next. */
const accountIdOf = (emailIndex: string, generation: number): string =>
  uuidFromName(generation === 0 ? `account:${emailIndex}` : `account:${emailIndex}:${generation}`);

export class Accounts {
  constructor(private readonly deps: AccountsDependencies) {}

  /** The keyed index of a normalised address (platform scope); null when it is no address. */
  emailIndexOf(email: unknown): string | null {
    const checked = checkEmail(email);
    return checked.ok
      ? this.deps.vault.blindIndex(ACCOUNT_EMAIL_INDEX_SCOPE, checked.email.key)
      : null;
  }

  async register(
    context: CommandContext,
    input: {
      email: string;
      name: string;
      company: string;
      password: string;
      role: ApiKeyRole;
      byRole?: ApiKeyRole;
      now: Date;
    },
  ): Promise<{ accountId: string; position?: Position }> {
    const emailIndex = this.emailIndexOf(input.email);
    if (!emailIndex) throw new AccountError('INVALID_ACCOUNT_EMAIL', 'Invalid email address');
    checkNewPassword(input.password, input.email);
    const passwordHash = await this.deps.hasher.hash(input.password);
    // An address's account ids follow from its index: the first, then one more after each
    // erasure. Two registrations of one address race for the same stream and one of them wins
    // (the other: ACCOUNT_ALREADY_EXISTS), so an address holds one live account at a time.
    for (let generation = 0; generation < MAX_ACCOUNTS_PER_ADDRESS; generation++) {
      const accountId = accountIdOf(emailIndex, generation);
      try {
        const result = await this.deps.executor.handle(
          toAccountStreamId(accountId),
          accountDecider,
          {
            type: 'RegisterAccount',
            data: {
              tenantId: context.tenantId,
              accountId,
              email: input.email,
              emailIndex,
              name: input.name,
              company: input.company,
              passwordHash,
              role: input.role,
              byRole: input.byRole,
            },
            metadata: { now: input.now },
          },
          context,
        );
        await this.caughtUp(result.position);
        return { accountId, position: result.position };
      } catch (error) {
        if (!(error instanceof AccountError && error.code === 'ACCOUNT_ERASED')) throw error;
      }
    }
    throw new AccountError('ACCOUNT_ERASED', 'This address was erased too many times');
  }

  /**
   * Email and password to a session. Unknown addresses, erased accounts and wrong passwords all
   * answer `invalid` after the same argon2 work; the limits are checked before any of it.
   */
  async login(input: {
    email: unknown;
    password: unknown;
    ip: string;
    now: Date;
  }): Promise<LoginOutcome> {
    const key = typeof input.email === 'string' ? input.email : '';
    const emailIndex =
      this.emailIndexOf(key) ??
      this.deps.vault.blindIndex(ACCOUNT_EMAIL_INDEX_SCOPE, key.trim().toLowerCase());
    const attempt = await this.deps.limiter.attempt(emailIndex, input.ip);
    if (!attempt.allowed)
      return { status: 'limited', retryAfterSeconds: attempt.retryAfterSeconds };
    const password = withinPasswordBounds(input.password) ? input.password : null;
    if (password === null) return { status: 'invalid' }; // too long to be any account's password

    const { rows } = await this.deps.pool.query<{ account_id: string }>(
      'SELECT account_id FROM accounts WHERE email_index = $1 AND erased_at IS NULL',
      [emailIndex],
    );
    const accountId = rows[0]?.account_id;
    if (!accountId) {
      await this.deps.hasher.verifyNothing(password);
      return { status: 'invalid' };
    }
    const account = await this.deps.executor.read(toAccountStreamId(accountId), accountDecider);
    if (account.status !== 'Active') {
      await this.deps.hasher.verifyNothing(password);
      return { status: 'invalid' };
    }
    if (!(await this.deps.hasher.verify(account.passwordHash, password)))
      return { status: 'invalid' };
    await this.deps.limiter.succeeded(attempt);
    const session = await this.deps.sessions.create({
      accountId,
      tenantId: account.tenantId,
      now: input.now,
    });
    return { status: 'ok', session, accountId, tenantId: account.tenantId, role: account.role };
  }

  /**
   * The caller changes its own password: the current one must match (failures count against the
   * account's login limit), the new one follows the rules; every other session is revoked.
   */
  async changePassword(
    context: CommandContext,
    input: {
      accountId: string;
      sessionId: string;
      currentPassword: string;
      newPassword: string;
      now: Date;
    },
  ): Promise<{ revokedSessions: number }> {
    const stream = toAccountStreamId(input.accountId);
    const history = await this.deps.executor.history(stream);
    const events = history.map(
      ({ recorded, data }) => ({ type: recorded.type, data }) as AccountEvent,
    );
    const account = evolveAll(accountDecider, events);
    const registered = events.find((e) => e.type === 'AccountRegistered');
    if (account.status !== 'Active' || account.tenantId !== context.tenantId || !registered)
      throw new AccountError('ACCOUNT_NOT_FOUND');
    const email = registered.data.email;
    const emailIndex = registered.data.emailIndex;
    const attempt = await this.deps.limiter.attempt(emailIndex, `account:${input.accountId}`);
    if (!attempt.allowed)
      throw new PasswordError(
        'WRONG_PASSWORD',
        `Too many wrong passwords: retry in ${attempt.retryAfterSeconds} s`,
      );
    const current = withinPasswordBounds(input.currentPassword) ? input.currentPassword : '';
    if (!(await this.deps.hasher.verify(account.passwordHash, current)))
      throw new PasswordError('WRONG_PASSWORD', 'The current password is wrong');
    await this.deps.limiter.succeeded(attempt);
    checkNewPassword(input.newPassword, email);
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    await this.deps.executor.handle(
      stream,
      accountDecider,
      {
        type: 'ChangeAccountPassword',
        data: { tenantId: context.tenantId, accountId: input.accountId, passwordHash },
        metadata: { now: input.now },
      },
      context,
    );
    const revokedSessions = await this.deps.sessions.revokeAccount({
      tenantId: context.tenantId,
      accountId: input.accountId,
      now: input.now,
      keep: input.sessionId,
    });
    return { revokedSessions };
  }

  /** An `AccountRoleChanged` event; the account's sessions have the new role on their next request. */
  async changeRole(
    context: CommandContext,
    input: { accountId: string; role: ApiKeyRole; byRole?: ApiKeyRole; now: Date },
  ): Promise<void> {
    const result = await this.deps.executor.handle(
      toAccountStreamId(input.accountId),
      accountDecider,
      {
        type: 'ChangeAccountRole',
        data: {
          tenantId: context.tenantId,
          accountId: input.accountId,
          role: input.role,
          byRole: input.byRole,
        },
        metadata: { now: input.now },
      },
      context,
    );
    await this.caughtUp(result.position);
  }

  /** One account of the tenant (erased ones too, with `[erased]` fields); null when unknown. */
  async find(tenantId: string, accountId: string): Promise<AccountView | null> {
    const { rows } = await this.deps.pool.query<AccountLookupRow>(
      `SELECT account_id, tenant_id, role, email, name, company, registered_at, erased_at
         FROM accounts WHERE tenant_id = $1 AND account_id = $2`,
      [tenantId, accountId],
    );
    return rows[0] ? (await this.views(rows))[0]! : null;
  }

  /** The tenant's accounts, oldest first, from the read model (keyset on registered_at, id). */
  async list(
    tenantId: string,
    size: number,
    after?: { createdAt: Date; id: string },
  ): Promise<AccountView[]> {
    const { rows } = await this.deps.pool.query<AccountLookupRow>(
      `SELECT account_id, tenant_id, role, email, name, company, registered_at, erased_at
         FROM accounts
        WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (registered_at, account_id) > ($2, $3::uuid))
        ORDER BY registered_at, account_id
        LIMIT $4`,
      [tenantId, after?.createdAt ?? null, after?.id ?? null, size],
    );
    return this.views(rows);
  }

  private async views(rows: readonly AccountLookupRow[]): Promise<AccountView[]> {
    const plain = await this.deps.codec.decryptSealed(
      rows.flatMap((r) => [r.email, r.name, r.company]),
    );
    const text = (value: unknown): string => (typeof value === 'string' ? value : ERASED);
    return rows.map((r, i) => ({
      accountId: r.account_id,
      tenantId: r.tenant_id,
      email: text(plain[i * 3]),
      name: text(plain[i * 3 + 1]),
      company: text(plain[i * 3 + 2]),
      role: r.role as ApiKeyRole,
      registeredAt: r.registered_at,
      erasedAt: r.erased_at,
    }));
  }

  private async caughtUp(position: Position | undefined): Promise<void> {
    if (position)
      await this.deps.projections.waitFor(
        position,
        ['accounts'],
        this.deps.readYourWritesTimeoutMs,
      );
  }
}
