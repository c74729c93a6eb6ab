import { Inject } from '@nestjs/common';
import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';

import type { ApiKeyRole as DomainApiKeyRole } from '#domain';
import type { AccountView, MailpackrRuntime } from '#platform';

import {
  CurrentPrincipal,
  type Principal,
  type RequestWithPrincipal,
  actorOf,
} from '../auth/principal.js';
import { ApiError } from '../graphql/api-error.js';
import type {
  Account,
  AccountConnection,
  ApiKeyRole,
  Session,
} from '../graphql/graphql.generated.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import {
  ChangeAccountRoleInputDto,
  ChangePasswordInputDto,
  LoginInputDto,
  RegisterAccountInputDto,
} from './account.inputs.js';

const toAccount = (view: AccountView): Account => ({
  id: view.accountId,
  email: view.email,
  name: view.name,
  company: view.company,
  role: view.role.toUpperCase() as ApiKeyRole,
  registeredAt: view.registeredAt,
  erasedAt: view.erasedAt,
});

/** The same answer for an unknown address, an erased account and a wrong password. */
const INVALID_CREDENTIALS = 'The email address or the password is wrong';

/**
 * People's accounts in a tenant and their sessions: login (public), logout, registration by
 * owners and admins, role changes, the caller's own password, ending an account's sessions.
 */
@Resolver()
export class AccountsResolver {
  constructor(
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Mutation('login')
  async login(
    @Args('input') input: LoginInputDto,
    @Context('req') req: RequestWithPrincipal,
  ): Promise<Session> {
    const outcome = await this.runtime.registeredAccounts.login({
      email: input.email,
      password: input.password,
      // Express's `req.ip`: the socket's address, or the client's when `trust proxy` is set.
      ip: req.ip ?? 'unknown',
      now: this.clock(),
    });
    switch (outcome.status) {
      case 'limited':
        throw new ApiError(
          'TOO_MANY_ATTEMPTS',
          `Too many failed logins: retry in ${outcome.retryAfterSeconds} s`,
          { retryAfterSeconds: outcome.retryAfterSeconds },
        );
      case 'invalid':
        throw new ApiError('UNAUTHENTICATED', INVALID_CREDENTIALS, {
          reason: 'INVALID_CREDENTIALS',
        });
      case 'ok':
        return {
          token: outcome.session.token,
          expiresAt: outcome.session.expiresAt,
          idleExpiresAt: outcome.session.idleExpiresAt,
          // Only id and role: the caller has no principal yet to read personal fields with.
          account: {
            id: outcome.accountId,
            email: '',
            role: outcome.role.toUpperCase() as ApiKeyRole,
          },
        };
    }
  }

  @Mutation('logout')
  async logout(@CurrentPrincipal() principal: Principal): Promise<boolean> {
    await this.runtime.sessions.revoke(this.sessionOf(principal).sessionId, this.clock());
    return true;
  }

  @Mutation('changePassword')
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ChangePasswordInputDto,
  ): Promise<boolean> {
    const { accountId, sessionId } = this.sessionOf(principal);
    await this.runtime.registeredAccounts.changePassword(
      { tenantId: principal.tenantId, actor: actorOf(principal) },
      {
        accountId,
        sessionId,
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        now: this.clock(),
      },
    );
    return true;
  }

  @Mutation('registerAccount')
  async registerAccount(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RegisterAccountInputDto,
  ): Promise<Account> {
    const { accountId } = await this.runtime.registeredAccounts.register(
      { tenantId: principal.tenantId, actor: actorOf(principal) },
      {
        email: input.email,
        name: input.name,
        company: input.company,
        password: input.password,
        role: input.role.toLowerCase() as DomainApiKeyRole,
        byRole: principal.role,
        now: this.clock(),
      },
    );
    return this.read(principal, accountId);
  }

  @Mutation('changeAccountRole')
  async changeAccountRole(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ChangeAccountRoleInputDto,
  ): Promise<Account> {
    await this.read(principal, input.id); // NOT_FOUND for another tenant's account
    await this.runtime.registeredAccounts.changeRole(
      { tenantId: principal.tenantId, actor: actorOf(principal) },
      {
        accountId: input.id,
        role: input.role.toLowerCase() as DomainApiKeyRole,
        byRole: principal.role,
        now: this.clock(),
      },
    );
    return this.read(principal, input.id);
  }

  @Mutation('revokeSessions')
  async revokeSessions(
    @CurrentPrincipal() principal: Principal,
    @Args('accountId') accountId: string,
  ): Promise<number> {
    await this.read(principal, assertUuid(accountId, 'Account'));
    return this.runtime.sessions.revokeAccount({
      tenantId: principal.tenantId,
      accountId,
      now: this.clock(),
    });
  }

  @Query('accounts')
  async accounts(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first?: number | null,
    @Args('after') after?: string | null,
  ): Promise<AccountConnection> {
    const size = pageSize(first);
    const views = await this.runtime.registeredAccounts.list(
      principal.tenantId,
      size + 1,
      decodeCursor(after),
    );
    return toConnection(
      views,
      size,
      (v) => ({ createdAt: v.registeredAt, id: v.accountId }),
      toAccount,
    );
  }

  /** `logout` and `changePassword` act on the caller's own session: an API key has none. */
  private sessionOf(principal: Principal): { accountId: string; sessionId: string } {
    if (!principal.accountId || !principal.sessionId)
      throw new ApiError('BAD_USER_INPUT', 'This needs a login session, not an API key', {
        reason: 'SESSION_REQUIRED',
      });
    return { accountId: principal.accountId, sessionId: principal.sessionId };
  }

  private async read(principal: Principal, accountId: string): Promise<Account> {
    const view = await this.runtime.registeredAccounts.find(principal.tenantId, accountId);
    if (!view) throw new ApiError('NOT_FOUND', 'Account not found');
    return toAccount(view);
  }
}
