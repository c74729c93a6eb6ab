import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import type pg from 'pg';

import {
  type EventFilter,
  type EventStore,
  type Position,
  type RecordedEvent,
  categoryOf,
  comparePositions,
  formatPosition,
  parsePosition,
} from '#event-store';
import { type Projection, type ProjectionRunner, type SqlExecutor, quoteIdent } from '#projections';

import {
  DETERMINISTIC_TEXT_SETTINGS,
  REPLAY_EXCLUDED_COLUMNS,
  type RowDifference,
  type TableChecksum,
  type TableShape,
  checksumOf,
  digestQuery,
  firstDifferences,
  freezeDigests,
  qualified,
  tableShape,
} from './replay-checksums.js';

/** Events read from the log per page, and applied per transaction, during a replay. */
export const REPLAY_BATCH_SIZE = 5000;
/** Projections applied side by side, each in its own transaction, during a replay. */
export const REPLAY_PARALLELISM = 4;
/** Events applied before the scratch tables are first analysed (the interval then doubles). */
const ANALYZE_AFTER_EVENTS = 10_000;
/** Default wait for the live read models to reach the replay's position. */
export const DEFAULT_REPLAY_WAIT_MS = 60_000;
/** Differing rows listed per table. */
export const DEFAULT_REPLAY_DIFFERENCES = 5;

export class AuditReplayError extends Error {
  constructor(
    readonly code:
      'UNKNOWN_PROJECTION' | 'INVALID_TENANT' | 'UNREPLAYABLE_TABLE' | 'LIVE_READ_MODELS_BEHIND',
    message: string,
  ) {
    super(message);
    this.name = 'AuditReplayError';
  }
}

export interface ReplayProgress {
  phase: 'replaying' | 'waiting' | 'comparing';
  /** Events read from the log so far. */
  events: number;
  /** 0..1 of the way to the replay's position (by log position, an estimate). */
  fraction: number;
}

export interface ReplayOptions {
  /** Projections to replay and compare (default: all). */
  projections?: readonly string[];
  /** How long to wait for the live read models to reach the replay's position (ms). */
  waitTimeoutMs?: number;
  /** Differing rows listed per differing table. */
  differences?: number;
  /**
   * Compare only this tenant's rows (a tenant's auditor). The replay still rebuilds every read
   * model from the whole log; tables without a `tenant_id` column are then left out.
   */
  tenantId?: string;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayTableReport {
  table: string;
  projection: string;
  live: TableChecksum;
  replay: TableChecksum;
  match: boolean;
  /** The first differing rows by primary key (empty when the table matches). */
  differences: RowDifference[];
}

export interface ReplayProjectionReport {
  name: string;
  /** The log position both sides were compared at (null: empty log). */
  comparedAt: string | null;
  /** Events this projection handled in the replay. */
  events: number;
}

export interface ReplayReport {
  match: boolean;
  /** The fixed log position the replay was run to (null: empty log). */
  position: string | null;
  /** Events read from the log. */
  events: number;
  projections: ReplayProjectionReport[];
  tables: ReplayTableReport[];
  /** The tenant whose rows were compared, or null for every row. */
  tenantId: string | null;
  /** Tables not compared in a tenant-scoped run because their rows name no tenant. */
  skippedTables: string[];
  /** Columns left out of the checksums, by table (see `REPLAY_EXCLUDED_COLUMNS`). */
  excludedColumns: Readonly<Record<string, readonly string[]>>;
  ms: { replay: number; wait: number; compare: number; total: number };
}

export interface AuditReplayDependencies {
  store: EventStore;
  pool: pg.Pool;
  /** The live projections' runner: waits for them and knows every projection. */
  runner: ProjectionRunner;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const matchesFilter = (event: RecordedEvent, filter: EventFilter): boolean =>
  (!filter.categories?.length || filter.categories.includes(categoryOf(event.streamId))) &&
  (!filter.eventTypes?.length || filter.eventTypes.includes(event.type));

const atOrBefore = (event: RecordedEvent, position: Position): boolean =>
  comparePositions(event.position, position) <= 0;

/**
 * `audit replay`: rebuilds the read models from the first event into a scratch schema
 * (`mp_audit_<random>`, tables made `LIKE` the live ones), never touching the live tables or
 * checkpoints, and compares them with the live read models table by table (row counts and
 * checksums, and the first differing primary keys).
 *
 * Both sides are compared at the same log position. The replay runs to the head of the log as it
 * was when it started, then waits for the live projections to get there; in one snapshot it
 * freezes the live rows' digests together with the live checkpoints, and a projection whose live
 * checkpoint is already further is replayed on to exactly that checkpoint. A worker may keep
 * running meanwhile. The scratch schema is dropped at the end, also on failure.
 *
 * The projections write through the `tables` map and unqualified SQL; each replay transaction
 * starts with `SET LOCAL search_path` to the scratch schema, so their writes land there (and a
 * stray reference to a table that is not there fails instead of reaching a live table).
 */
export class AuditReplay {
  constructor(private readonly deps: AuditReplayDependencies) {}

  async run(options: ReplayOptions = {}): Promise<ReplayReport> {
    const started = performance.now();
    const projections = this.select(options.projections);
    if (options.tenantId !== undefined && !UUID.test(options.tenantId)) {
      throw new AuditReplayError('INVALID_TENANT', 'The tenant id must be a UUID');
    }
    const onProgress = options.onProgress ?? (() => undefined);
    const scratch = `mp_audit_${randomBytes(6).toString('hex')}`;
    const schema = quoteIdent(scratch);
    const tables = projections.flatMap((p) => p.tables.map((table) => ({ table, projection: p })));

    await this.deps.pool.query(`CREATE SCHEMA ${schema}`);
    try {
      const shapes = new Map<string, TableShape>();
      await this.transaction(async (sql) => {
        for (const { table } of tables) {
          const shape = await tableShape(sql, table);
          shapes.set(table, shape);
          await sql.query(
            `CREATE TABLE ${qualified(scratch, table)} (LIKE ${qualified(shape.schema, table)} INCLUDING ALL)`,
          );
        }
        // A copied `nextval(...)` default would draw from the live table's sequence: the replay
        // would touch live state, and its values could never match. No read model has one.
        const shared = await sql.query<{ name: string }>(
          `SELECT c.relname || '.' || a.attname AS name FROM pg_attrdef d
             JOIN pg_class c ON c.oid = d.adrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE n.nspname = $1 AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'`,
          [scratch],
        );
        if (shared.length > 0) {
          throw new AuditReplayError(
            'UNREPLAYABLE_TABLE',
            `Read-model columns fed by a sequence cannot be replayed: ${shared.map((r) => r.name).join(', ')}`,
          );
        }
      });

      const compared = tables.filter(
        ({ table }) => !options.tenantId || shapes.get(table)!.tenantScoped,
      );

      // 1. Replay everything up to the head of the log as it is now.
      const target = await this.deps.store.headPosition();
      const replay = new ScratchReplay(
        {
          read: (from, filter) =>
            this.deps.store.readAll({ from, filter, maxCount: REPLAY_BATCH_SIZE }),
          inScratch: (work) => this.transaction(work, 'READ COMMITTED', scratch),
          analyze: (names) =>
            this.transaction((sql) =>
              sql.query(`ANALYZE ${names.map((t) => qualified(scratch, t)).join(', ')}`),
            ),
        },
        projections,
      );
      if (target) await replay.runTo(target, onProgress);
      const replayed = performance.now();

      // 2. Wait for the live read models to get there too.
      onProgress({ phase: 'waiting', events: replay.events, fraction: 1 });
      const names = projections.map((p) => p.name);
      if (
        target &&
        !(await this.deps.runner.waitFor(
          target,
          names,
          options.waitTimeoutMs ?? DEFAULT_REPLAY_WAIT_MS,
        ))
      ) {
        throw new AuditReplayError(
          'LIVE_READ_MODELS_BEHIND',
          `The live read models did not reach log position ${formatPosition(target)} in time: ` +
            'is the worker running? (`mailpackr projections status`)',
        );
      }
      const waited = performance.now();

      // 3. One snapshot: live checkpoints and the live rows' digests, frozen together.
      onProgress({ phase: 'comparing', events: replay.events, fraction: 1 });
      const live = await this.transaction(async (sql) => {
        await sql.query(DETERMINISTIC_TEXT_SETTINGS);
        const rows = await sql.query<{ name: string; position: string | null }>(
          'SELECT name, position FROM mp_projection_checkpoints WHERE name = ANY($1::text[])',
          [names],
        );
        for (const { table } of compared) {
          await freezeDigests(
            sql,
            shapes.get(table)!,
            qualified(scratch, `live__${table}`),
            options.tenantId,
          );
        }
        return new Map(
          rows.map((r) => [r.name, r.position ? parsePosition(r.position) : undefined]),
        );
      }, 'REPEATABLE READ');

      // 4. A live projection that is further than the replay: replay it on to the same position.
      const comparedAt = new Map<string, Position | undefined>();
      for (const projection of projections) {
        const checkpoint = live.get(projection.name);
        if (checkpoint && (!target || comparePositions(checkpoint, target) > 0)) {
          await replay.extend(projection, target, checkpoint);
          comparedAt.set(projection.name, checkpoint);
        } else comparedAt.set(projection.name, target);
      }

      // 5. Compare table by table.
      const differences = options.differences ?? DEFAULT_REPLAY_DIFFERENCES;
      const reports = await this.transaction(async (sql) => {
        await sql.query(DETERMINISTIC_TEXT_SETTINGS);
        const result: ReplayTableReport[] = [];
        for (const { table, projection } of compared) {
          const shape = shapes.get(table)!;
          const liveDigest = `SELECT * FROM ${qualified(scratch, `live__${table}`)}`;
          const replayDigest = digestQuery(shape, qualified(scratch, table), options.tenantId);
          const liveSum = await checksumOf(sql, liveDigest);
          const replaySum = await checksumOf(sql, replayDigest);
          const match = liveSum.rows === replaySum.rows && liveSum.checksum === replaySum.checksum;
          result.push({
            table,
            projection: projection.name,
            live: liveSum,
            replay: replaySum,
            match,
            differences: match
              ? []
              : await firstDifferences(sql, shape, liveDigest, replayDigest, differences),
          });
        }
        return result;
      });
      const finished = performance.now();
      return {
        match: reports.every((t) => t.match),
        position: target ? formatPosition(target) : null,
        events: replay.events,
        projections: projections.map((p) => {
          const at = comparedAt.get(p.name);
          return {
            name: p.name,
            comparedAt: at ? formatPosition(at) : null,
            events: replay.handled.get(p.name) ?? 0,
          };
        }),
        tables: reports,
        tenantId: options.tenantId ?? null,
        skippedTables: tables.filter((t) => !compared.includes(t)).map((t) => t.table),
        excludedColumns: REPLAY_EXCLUDED_COLUMNS,
        ms: {
          replay: Math.round(replayed - started),
          wait: Math.round(waited - replayed),
          compare: Math.round(finished - waited),
          total: Math.round(finished - started),
        },
      };
    } finally {
      await this.deps.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  }

  private select(names?: readonly string[]): Projection[] {
    const all = this.deps.runner.projections;
    if (!names || names.length === 0) return [...all];
    return names.map((name) => {
      const projection = all.find((p) => p.name === name);
      if (!projection) {
        throw new AuditReplayError(
          'UNKNOWN_PROJECTION',
          `Unknown projection: ${name} (one of ${all.map((p) => p.name).join(', ')})`,
        );
      }
      return projection;
    });
  }

  /** One transaction on its own connection, optionally with the scratch schema as search_path. */
  private async transaction<T>(
    work: (sql: SqlExecutor) => Promise<T>,
    isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED',
    searchPath?: string,
  ): Promise<T> {
    const client = await this.deps.pool.connect();
    const sql: SqlExecutor = {
      query: async <R>(text: string, params?: unknown[]) =>
        (await client.query(text, params)).rows as R[],
    };
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      if (searchPath) await client.query(`SET LOCAL search_path TO ${quoteIdent(searchPath)}`);
      const result = await work(sql);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

interface ScratchAccess {
  read(from: Position | undefined, filter?: EventFilter): Promise<RecordedEvent[]>;
  /** A transaction whose unqualified table names resolve in the scratch schema. */
  inScratch<T>(work: (sql: SqlExecutor) => Promise<T>): Promise<T>;
  analyze(tables: readonly string[]): Promise<unknown>;
}

/** The projections' state in the scratch schema, fed from the log. */
class ScratchReplay {
  events = 0;
  readonly handled = new Map<string, number>();
  private sinceAnalyze = 0;
  private analyzeAt = ANALYZE_AFTER_EVENTS;
  private readonly identity: Record<string, Record<string, string>>;

  constructor(
    private readonly access: ScratchAccess,
    private readonly projections: readonly Projection[],
  ) {
    this.identity = Object.fromEntries(
      projections.map((p) => [p.name, Object.fromEntries(p.tables.map((t) => [t, t]))]),
    );
  }

  /**
   * Reads the log once, from the first event to `target`, and hands each projection the events
   * its filter selects, page by page.
   */
  async runTo(target: Position, onProgress: (progress: ReplayProgress) => void): Promise<void> {
    const total = Number(target.prepare);
    let next = this.prefetch(undefined);
    for (;;) {
      const page = await next;
      const batch = page.filter((e) => atOrBefore(e, target));
      if (batch.length === 0) return;
      const from = batch[batch.length - 1]!.position;
      const more = batch.length === page.length; // else it went past the target
      if (more) next = this.prefetch(from); // read the next page while this one is applied
      await this.applyToAll(batch);
      this.events += batch.length;
      onProgress({
        phase: 'replaying',
        events: this.events,
        fraction: total > 0 ? Math.min(1, Number(from.prepare) / total) : 1,
      });
      await this.analyzeWhenGrown(batch.length);
      if (!more) return;
    }
  }

  private prefetch(from: Position | undefined): Promise<RecordedEvent[]> {
    const page = this.access.read(from);
    page.catch(() => undefined); // awaited later; never an unhandled rejection meanwhile
    return page;
  }

  /**
   * Each projection gets its share of the page in its own transaction, up to
   * `REPLAY_PARALLELISM` side by side (their tables are disjoint). Waits for all before failing.
   */
  private async applyToAll(batch: readonly RecordedEvent[]): Promise<void> {
    const work = this.projections
      .map((projection) => ({
        projection,
        events: batch.filter((e) => matchesFilter(e, projection.filter)),
      }))
      .filter((w) => w.events.length > 0);
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      for (let item = work.shift(); item && failures.length === 0; item = work.shift()) {
        const { projection, events } = item;
        try {
          await this.access.inScratch((sql) =>
            projection.apply(events, sql, this.identity[projection.name]!),
          );
          this.count(projection, events.length);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: REPLAY_PARALLELISM }, worker));
    if (failures.length > 0) throw failures[0];
  }

  /** Applies one projection's events after `from` up to `to` (a live checkpoint ahead of us). */
  async extend(projection: Projection, from: Position | undefined, to: Position): Promise<void> {
    let position = from;
    for (;;) {
      const page = await this.access.read(position, projection.filter);
      const batch = page.filter((e) => atOrBefore(e, to));
      if (batch.length === 0) return;
      await this.access.inScratch((sql) =>
        projection.apply(batch, sql, this.identity[projection.name]!),
      );
      this.count(projection, batch.length);
      position = batch[batch.length - 1]!.position;
      if (batch.length < page.length) return;
    }
  }

  /** Planner statistics for the growing scratch tables, as the live runner does for its own. */
  private async analyzeWhenGrown(applied: number): Promise<void> {
    this.sinceAnalyze += applied;
    if (this.sinceAnalyze < this.analyzeAt) return;
    this.sinceAnalyze = 0;
    this.analyzeAt *= 2;
    await this.access.analyze(this.projections.flatMap((p) => p.tables));
  }

  private count(projection: Projection, events: number): void {
    this.handled.set(projection.name, (this.handled.get(projection.name) ?? 0) + events);
  }
}
