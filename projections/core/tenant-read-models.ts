import type {
  DataSource,
  EntityManager,
  EntityTarget,
  FindManyOptions,
  FindOneOptions,
  FindOptionsWhere,
  ObjectLiteral,
  SelectQueryBuilder,
} from 'typeorm';

import { TENANT_READER_ROLE, TENANT_SETTING } from './row-level-security.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A read model row that belongs to one tenant. */
export type TenantOwned = ObjectLiteral & { tenantId: string };

/**
 * The two lines of tenant isolation on reads. Both are on in every running MailPackr; tests turn
 * one off to prove the other holds alone.
 */
export interface TenantIsolationChecks {
  /** The `tenant_id = <tenant>` condition this module adds to every query. */
  applicationFilter: boolean;
  /** PostgreSQL row-level security: the reads run as `mailpackr_tenant_reader` for the tenant. */
  rowSecurity: boolean;
}

/**
 * Who a reader session currently reads as, per pooled connection: a tenant id (reader role, that
 * tenant set) or `OWNER_SESSION` (row security off, in tests). Absent: not known, set it first.
 */
const sessions = new WeakMap<object, string>();
const OWNER_SESSION = 'owner';

/**
 * Every read of one tenant's read models goes through here, and only here is the tenant added:
 *
 * - **Application filter:** `TenantScope` adds `tenant_id = <tenant>` to every `find`, `findOne`,
 *   `count` and query builder it hands out; callers never write the tenant condition themselves.
 * - **Row-level security:** the reads run as `mailpackr_tenant_reader` with the tenant set, read
 *   only, so PostgreSQL itself admits only that tenant's rows (`row-level-security.ts`), whatever
 *   the SQL says. Two ways, one per backend:
 *   - **PostgreSQL** (`readerSessions` given): a pool of its own whose connections stay in the
 *     reader role, read only, with the tenant set for the session. A connection is switched only
 *     when the tenant it last served is not this one (one statement), so a read is a single round
 *     trip: no `BEGIN`, `SET LOCAL` and `COMMIT` around it. What a connection was set to is
 *     recorded only after the switch succeeded; an unknown connection is always switched first.
 *   - **Embedded PGlite:** every connection shares one session, so session settings would leak to
 *     the projections and the worker. There the reads run in one read-only transaction that
 *     starts with `SET LOCAL ROLE` and `SET LOCAL` of the tenant (one round trip) and commits.
 *
 * Either way each statement sees its own snapshot (`READ COMMITTED`), as before.
 *
 * The work passed to `read` must only query through the scope: on the embedded database the
 * transaction holds the one session, so waiting there for another connection would never end.
 */
export class TenantReadModels {
  checks: TenantIsolationChecks = { applicationFilter: true, rowSecurity: true };
  #opening: Promise<DataSource> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    /** PostgreSQL: the pool reserved for tenant reads (`createTenantReaderDataSource`), opened on first use. */
    private readonly readerSessions?: DataSource,
  ) {}

  async read<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    // Inlined into the SQL below: only a well-formed UUID ever gets there.
    if (!UUID.test(tenantId)) throw new TypeError('A tenant id must be a UUID');
    return this.readerSessions
      ? this.readInSession(tenantId, work)
      : this.readInTransaction(tenantId, work);
  }

  /** Closes the reader pool, if it was opened. */
  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    const sessionsPool = await opening?.catch(() => undefined);
    if (sessionsPool?.isInitialized) await sessionsPool.destroy();
  }

  private async readInSession<T>(
    tenantId: string,
    work: (scope: TenantScope) => Promise<T>,
  ): Promise<T> {
    const { applicationFilter, rowSecurity } = this.checks;
    const runner = (await this.openReaderSessions()).createQueryRunner();
    try {
      const connection = (await runner.connect()) as object;
      const wanted = rowSecurity ? tenantId.toLowerCase() : OWNER_SESSION;
      if (sessions.get(connection) !== wanted) {
        sessions.delete(connection);
        await runner.query(
          rowSecurity
            ? `SET ROLE ${TENANT_READER_ROLE}; SET ${TENANT_SETTING} = '${wanted}'; SET default_transaction_read_only = on`
            : `RESET ROLE; RESET ${TENANT_SETTING}; SET default_transaction_read_only = on`,
        );
        sessions.set(connection, wanted);
      }
      return await work(new TenantScope(tenantId, runner.manager, applicationFilter));
    } finally {
      await runner.release();
    }
  }

  private async readInTransaction<T>(
    tenantId: string,
    work: (scope: TenantScope) => Promise<T>,
  ): Promise<T> {
    const { applicationFilter, rowSecurity } = this.checks;
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      // One round trip opens the transaction, drops to the reader role and names the tenant.
      await runner.query(
        rowSecurity
          ? `BEGIN READ ONLY; SET LOCAL ROLE ${TENANT_READER_ROLE}; SET LOCAL ${TENANT_SETTING} = '${tenantId.toLowerCase()}'`
          : 'BEGIN READ ONLY',
      );
      try {
        const result = await work(new TenantScope(tenantId, runner.manager, applicationFilter));
        await runner.query('COMMIT');
        return result;
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  private openReaderSessions(): Promise<DataSource> {
    const pool = this.readerSessions!;
    this.#opening ??= (pool.isInitialized ? Promise.resolve(pool) : pool.initialize()).catch(
      (error: unknown) => {
        this.#opening = undefined; // try again on the next read
        throw error;
      },
    );
    return this.#opening;
  }
}

/** One tenant's read models, inside `TenantReadModels.read`. */
export class TenantScope {
  constructor(
    readonly tenantId: string,
    private readonly manager: EntityManager,
    private readonly applicationFilter: boolean,
  ) {}

  find<T extends TenantOwned>(entity: EntityTarget<T>, options: FindManyOptions<T> = {}) {
    return this.manager.find(entity, { ...options, where: this.where(options.where) });
  }

  findOne<T extends TenantOwned>(entity: EntityTarget<T>, options: FindOneOptions<T>) {
    return this.manager.findOne(entity, { ...options, where: this.where(options.where) });
  }

  count<T extends TenantOwned>(entity: EntityTarget<T>, options: FindManyOptions<T> = {}) {
    return this.manager.count(entity, { ...options, where: this.where(options.where) });
  }

  /**
   * `SELECT … FROM <entity> <alias>` already limited to the tenant. Add conditions with
   * `andWhere`: a `where` would replace the tenant condition.
   */
  select<T extends TenantOwned>(entity: EntityTarget<T>, alias: string): SelectQueryBuilder<T> {
    const query = this.manager.createQueryBuilder(entity, alias);
    return this.applicationFilter
      ? query.where(`${alias}.tenant_id = :scopeTenantId`, { scopeTenantId: this.tenantId })
      : query;
  }

  /** A join condition on another tenant table of a `select`: `<condition>` and its tenant. */
  on(alias: string, condition: string): string {
    return this.applicationFilter
      ? `${condition} AND ${alias}.tenant_id = :scopeTenantId`
      : condition;
  }

  /**
   * Raw SQL for what the query builder cannot say. `$1` is the tenant: the SQL must filter on it
   * itself (row security still applies).
   */
  query<R>(sql: string, parameters: unknown[] = []): Promise<R> {
    return this.manager.query(sql, [this.tenantId, ...parameters]);
  }

  private where<T extends TenantOwned>(
    where: FindOptionsWhere<T> | FindOptionsWhere<T>[] | undefined,
  ): FindOptionsWhere<T> | FindOptionsWhere<T>[] | undefined {
    if (!this.applicationFilter) return where;
    const tenant = { tenantId: this.tenantId } as FindOptionsWhere<T>;
    if (Array.isArray(where)) return where.map((w) => ({ ...w, ...tenant }));
    return { ...where, ...tenant };
  }
}
