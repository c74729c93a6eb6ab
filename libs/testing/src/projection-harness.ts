import { randomUUID } from 'node:crypto';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import type { Event } from '#domain';
import { type AppendResult, PostgresEventStore, comparePositions, createPool } from '#event-store';
import { type Projection, ProjectionRunner, openReadModels } from '#projections';

import { type TestDatabase, createTestDatabase } from './databases.js';

/** How long `append` waits for older transactions of the server to end. */
const VISIBLE_WITHIN_MS = 10_000;

/**
 * A real event store and real read models on a fresh database (PGlite or PostgreSQL), for
 * projection tests: append domain events, run the projections, look at the rows.
 */
export class ProjectionHarness {
  private constructor(
    readonly database: TestDatabase,
    readonly pool: pg.Pool,
    readonly store: PostgresEventStore,
    readonly dataSource: DataSource,
    readonly runner: ProjectionRunner,
  ) {}

  static async start(
    kind: 'pglite' | 'postgres',
    projections: readonly Projection[],
  ): Promise<ProjectionHarness> {
    const database = await createTestDatabase(kind);
    const pool = createPool(database.connectionString, 8);
    const store = await PostgresEventStore.open(pool, { pollIntervalMs: 50 });
    const dataSource = await openReadModels(database.connectionString);
    const runner = new ProjectionRunner(store, pool, projections);
    return new ProjectionHarness(database, pool, store, dataSource, runner);
  }

  /**
   * Appends domain events to a stream, as a command handler would, and returns once readers can
   * see them. On PostgreSQL the log shows a commit only when every older transaction of the
   * server has ended (see the event store's schema), and test files run side by side on one
   * server: without the wait, a `runner.catchUp()` right after could find nothing new yet.
   */
  async append(
    streamId: string,
    events: ReadonlyArray<Event<string, object>>,
    tenantId?: string,
  ): Promise<AppendResult> {
    const result = await this.store.append(
      streamId,
      events.map((e) => ({
        eventId: randomUUID(),
        type: e.type,
        data: e.data,
        metadata: { tenantId, actor: 'test' },
      })),
    );
    const deadline = Date.now() + VISIBLE_WITHIN_MS;
    for (;;) {
      const head = await this.store.headPosition();
      if (head && comparePositions(head, result.position) >= 0) return result;
      if (Date.now() > deadline)
        throw new Error(`appended events still not visible after ${VISIBLE_WITHIN_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async rows<R>(sql: string, params?: unknown[]): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[];
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.store.close();
    await this.dataSource.destroy();
    await this.pool.end();
    await this.database.drop();
  }
}
