import type pg from 'pg';

import {
  type EventStore,
  type Position,
  type RecordedEvent,
  WakeSignal,
  comparePositions,
  formatPosition,
  parsePosition,
} from '#event-store';

import { type Projection, type SqlExecutor, quoteIdent } from './projection.js';
import { tenantRowSecuritySql } from './row-level-security.js';

export interface ProjectionLag {
  name: string;
  checkpoint: string | null;
  /** Events in the log that this projection handles and has not applied yet. */
  eventsBehind: number;
  /** Age of the newest applied checkpoint, ms; null before the first batch. */
  lastAppliedAt: Date | null;
}

export interface ProjectionLogger {
  log(message: string): void;
  error(message: string, error?: unknown): void;
}

interface RunningLoop {
  controller: AbortController;
  done: Promise<void>;
}

const BATCH_SIZE = 1000;
/** Events applied before the first ANALYZE of a projection's tables (the interval then doubles). */
const ANALYZE_AFTER_EVENTS = 10_000;
const REBUILD_BATCH_SIZE = 5000;

/**
 * Feeds projections from the event store's subscription. Each batch is applied and its checkpoint
 * stored in one transaction; the checkpoint row is locked and compared first, so several worker
 * processes can run the same projection without ever applying a batch twice.
 */
export class ProjectionRunner {
  private readonly progress = new WakeSignal();
  private readonly checkpoints = new Map<string, Position | undefined>();
  /** Per projection (and rebuild): events applied since its tables were last analysed. */
  private readonly growth = new Map<string, { since: number; threshold: number }>();
  private readonly loops = new Map<string, RunningLoop>();
  private readonly byName: Map<string, Projection>;

  constructor(
    private readonly store: EventStore,
    private readonly pool: pg.Pool,
    readonly projections: readonly Projection[],
    private readonly logger: ProjectionLogger = { log: () => undefined, error: () => undefined },
  ) {
    this.byName = new Map(projections.map((p) => [p.name, p]));
  }

  /** Starts a live loop per projection (idempotent). */
  async start(): Promise<void> {
    await this.ensureCheckpointRows();
    for (const projection of this.projections) this.startLoop(projection);
  }

  async stop(): Promise<void> {
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const loop of loops) loop.controller.abort();
    await Promise.all(loops.map((l) => l.done));
  }

  /** Applies everything in the log now, then returns: for the CLI and tests. */
  async catchUp(names?: readonly string[]): Promise<void> {
    await this.ensureCheckpointRows();
    for (const projection of this.select(names)) {
      const head = await this.store.headPosition();
      for (;;) {
        const from = await this.storedCheckpoint(projection.name);
        const batch = await this.store.readAll({
          from,
          filter: projection.filter,
          maxCount: REBUILD_BATCH_SIZE,
        });
        if (batch.length === 0) {
          // Nothing it handles up to `head` (read before): the checkpoint may skip to there.
          if (head) await this.skipTo(projection, from, head);
          break;
        }
        await this.applyBatch(projection, from, batch);
      }
    }
  }

  /**
   * Resolves true once every named projection has applied the log up to `position` (read your
   * own writes), false after `timeoutMs`. Works whether or not the projections run in this process.
   */
  async waitFor(position: Position, names?: readonly string[], timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.select(names));
    for (;;) {
      const seen = this.progress.current;
      for (const projection of pending) {
        if (await this.hasReached(projection, position)) pending.delete(projection);
      }
      if (pending.size === 0) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.progress.wait(seen, Math.min(left, 25));
    }
  }

  /**
   * True when the projection has applied every event it handles up to `position`: its checkpoint
   * is there, or no event it handles lies between its checkpoint and `position` (a filtered
   * projection never sees the events it does not handle, so its checkpoint can stay behind).
   */
  private async hasReached(projection: Projection, position: Position): Promise<boolean> {
    const checkpoint = this.loops.has(projection.name)
      ? this.checkpoints.get(projection.name)
      : await this.storedCheckpoint(projection.name);
    if (checkpoint && comparePositions(checkpoint, position) >= 0) return true;
    const head = await this.store.headPosition();
    if (!head || comparePositions(head, position) < 0) return false; // not visible to readers yet
    const [next] = await this.store.readAll({
      from: checkpoint,
      filter: projection.filter,
      maxCount: 1,
    });
    // No event it handles up to `head` (read before `next`, so everything up to it was visible to
    // that read): move its checkpoint there, or the next call would walk the same stretch again.
    if (!next || comparePositions(next.position, head) > 0) {
      await this.skipTo(projection, checkpoint, head);
    }
    return !next || comparePositions(next.position, position) > 0;
  }

  /**
   * Moves a projection's checkpoint from `from` to `to` over events it does not handle, if no one
   * moved it meanwhile (compare and set). A filtered projection (suppressions, receipts…) would
   * otherwise stay at its last handled event, and every read-your-writes check and every restart
   * would walk all the events since (a million after a big import) to find nothing. A live loop
   * that still holds `from` finds the checkpoint moved at its next batch and reloads from it.
   */
  private async skipTo(projection: Projection, from: Position | undefined, to: Position) {
    if (from && comparePositions(from, to) >= 0) return;
    const moved = await this.query<{ name: string }>(
      `UPDATE mp_projection_checkpoints SET position = $3, updated_at = now()
        WHERE name = $1 AND position IS NOT DISTINCT FROM $2 RETURNING name`,
      [projection.name, from ? formatPosition(from) : null, formatPosition(to)],
    );
    if (moved.length > 0 && this.loops.has(projection.name)) {
      this.checkpoints.set(projection.name, to);
    }
  }

  async lag(): Promise<ProjectionLag[]> {
    const rows = await this.query<{
      name: string;
      position: string | null;
      updated_at: Date | null;
    }>(
      'SELECT name, position, updated_at FROM mp_projection_checkpoints WHERE name = ANY($1::text[])',
      [this.projections.map((p) => p.name)],
    );
    const result: ProjectionLag[] = [];
    for (const projection of this.projections) {
      const row = rows.find((r) => r.name === projection.name);
      const from = row?.position ? parsePosition(row.position) : undefined;
      const behind = await this.store.readAll({
        from,
        filter: projection.filter,
        maxCount: 10_001,
      });
      result.push({
        name: projection.name,
        checkpoint: row?.position ?? null,
        eventsBehind: behind.length,
        lastAppliedAt: row?.updated_at ?? null,
      });
    }
    return result;
  }

  /**
   * Rebuilds a projection from the first event into fresh tables, then switches them in
   * atomically. The live tables keep serving (and the live loop keeps running) until the switch.
   */
  async rebuild(name: string): Promise<{ events: number; ms: number }> {
    const projection = this.byName.get(name);
    if (!projection) throw new Error(`Unknown projection: ${name}`);
    await this.ensureCheckpointRows();
    const started = Date.now();
    const shadow = Object.fromEntries(projection.tables.map((t) => [t, `${t}__rebuild`]));
    for (const table of projection.tables) {
      await this.query(`DROP TABLE IF EXISTS ${quoteIdent(shadow[table]!)}`);
      await this.query(
        `CREATE TABLE ${quoteIdent(shadow[table]!)} (LIKE ${quoteIdent(table)} INCLUDING ALL)`,
      );
      // LIKE copies neither grants nor row security: the switched-in table must keep both.
      const [live] = await this.query<{ relrowsecurity: boolean }>(
        'SELECT relrowsecurity FROM pg_class WHERE oid = $1::regclass',
        [quoteIdent(table)],
      );
      if (live?.relrowsecurity)
        for (const sql of tenantRowSecuritySql(quoteIdent(shadow[table]!))) await this.query(sql);
    }
    let position: Position | undefined;
    let events = 0;
    this.growth.delete(`${name}__rebuild`);
    const drain = async (): Promise<void> => {
      for (;;) {
        const batch = await this.store.readAll({
          from: position,
          filter: projection.filter,
          maxCount: REBUILD_BATCH_SIZE,
        });
        if (batch.length === 0) return;
        await this.transaction((sql) => projection.apply(batch, sql, shadow));
        position = batch[batch.length - 1]!.position;
        events += batch.length;
        await this.analyzeWhenGrown(`${name}__rebuild`, Object.values(shadow), batch.length);
      }
    };
    await drain();
    const wasRunning = this.loops.get(name);
    if (wasRunning) {
      this.loops.delete(name);
      wasRunning.controller.abort();
      await wasRunning.done;
    }
    try {
      await drain();
      await this.transaction(async (sql) => {
        for (const table of projection.tables) {
          await sql.query(`LOCK TABLE ${quoteIdent(table)} IN ACCESS EXCLUSIVE MODE`);
          await sql.query(`DROP TABLE ${quoteIdent(table)}`);
          await sql.query(
            `ALTER TABLE ${quoteIdent(shadow[table]!)} RENAME TO ${quoteIdent(table)}`,
          );
        }
        await sql.query(
          `UPDATE mp_projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`,
          [name, position ? formatPosition(position) : null],
        );
      });
      this.checkpoints.set(name, position);
      this.progress.notify();
    } finally {
      if (wasRunning) this.startLoop(projection);
    }
    return { events, ms: Date.now() - started };
  }

  private select(names?: readonly string[]): Projection[] {
    if (!names) return [...this.projections];
    return names.map((n) => {
      const p = this.byName.get(n);
      if (!p) throw new Error(`Unknown projection: ${n}`);
      return p;
    });
  }

  private startLoop(projection: Projection): void {
    if (this.loops.has(projection.name)) return;
    const controller = new AbortController();
    const done = this.runLoop(projection, controller.signal);
    this.loops.set(projection.name, { controller, done });
  }

  private async runLoop(projection: Projection, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        let from = await this.storedCheckpoint(projection.name);
        this.checkpoints.set(projection.name, from);
        this.progress.notify();
        for await (const batch of this.store.subscribeBatches({
          from,
          filter: projection.filter,
          batchSize: BATCH_SIZE,
          signal,
        })) {
          if (!(await this.applyBatch(projection, from, batch))) break; // another worker moved on: reload
          from = batch[batch.length - 1]!.position;
          failures = 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.logger.error(`Projection ${projection.name} failed; retrying`, error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 10_000)));
      }
    }
  }

  /** One transaction: lock and compare the checkpoint, apply, store the new checkpoint. */
  private async applyBatch(
    projection: Projection,
    from: Position | undefined,
    batch: readonly RecordedEvent[],
  ): Promise<boolean> {
    const to = batch[batch.length - 1]!.position;
    const applied = await this.transaction(async (sql) => {
      const [row] = await sql.query<{ position: string | null }>(
        'SELECT position FROM mp_projection_checkpoints WHERE name = $1 FOR UPDATE',
        [projection.name],
      );
      const stored = row?.position ?? null;
      if (stored !== (from ? formatPosition(from) : null)) return false;
      await projection.apply(batch, sql, Object.fromEntries(projection.tables.map((t) => [t, t])));
      await sql.query(
        `UPDATE mp_projection_checkpoints
            SET position = $2, updated_at = now(), events_applied = events_applied + $3
          WHERE name = $1`,
        [projection.name, formatPosition(to), batch.length],
      );
      return true;
    });
    if (applied) {
      this.checkpoints.set(projection.name, to);
      this.progress.notify();
      await this.analyzeWhenGrown(projection.name, projection.tables, batch.length);
    }
    return applied;
  }

  /**
   * Refreshes the planner statistics of a projection's tables as they grow (after 10k, 20k, 40k…
   * events applied by this process). A bulk import fills a table far faster than autovacuum
   * analyses it (and PGlite never does), and a plan made for an empty table turns each batch's
   * `= ANY($1)` lookup into a full scan.
   */
  private async analyzeWhenGrown(
    key: string,
    tables: readonly string[],
    applied: number,
  ): Promise<void> {
    const state = this.growth.get(key) ?? {
      since: 0,
      threshold: ANALYZE_AFTER_EVENTS,
    };
    state.since += applied;
    this.growth.set(key, state);
    if (state.since < state.threshold) return;
    state.since = 0;
    state.threshold *= 2;
    await this.query(`ANALYZE ${tables.map(quoteIdent).join(', ')}`);
  }

  private async storedCheckpoint(name: string): Promise<Position | undefined> {
    const rows = await this.query<{ position: string | null }>(
      'SELECT position FROM mp_projection_checkpoints WHERE name = $1',
      [name],
    );
    const text = rows[0]?.position;
    return text ? parsePosition(text) : undefined;
  }

  private async ensureCheckpointRows(): Promise<void> {
    await this.query(
      `INSERT INTO mp_projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`,
      [this.projections.map((p) => p.name)],
    );
  }

  private async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as R[];
  }

  private async transaction<T>(work: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const sql: SqlExecutor = {
      query: async <R>(text: string, params?: unknown[]) =>
        (await client.query(text, params)).rows as R[],
    };
    try {
      await client.query('BEGIN');
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
