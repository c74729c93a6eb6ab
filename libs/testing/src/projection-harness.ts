import { randomUUID } from 'node:crypto';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import type { Event } from '#domain';
import { type AppendResult, PostgresEventStore, createPool } from '#event-store';
import { type Projection, ProjectionRunner, openReadModels } from '#projections';

import { type TestDatabase, createTestDatabase } from './databases.js';

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

  /** Appends domain events to a stream, as a command handler would. */
  append(
    streamId: string,
    events: ReadonlyArray<Event<string, object>>,
    tenantId?: string,
  ): Promise<AppendResult> {
    return this.store.append(
      streamId,
      events.map((e) => ({
        eventId: randomUUID(),
        type: e.type,
        data: e.data,
        metadata: { tenantId, actor: 'test' },
      })),
    );
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
