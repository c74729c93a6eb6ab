import type { EventStore } from './event-store.port.js';

export * from './event-store.port.js';
export * from './event-store.errors.js';
export { chainHash, eventContentDigest, eventHash, GENESIS_HASH } from './hash-chain.js';
export { WakeSignal } from './wake-signal.js';
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres/postgres-event-store.js';
export { createPool } from './postgres/create-pool.js';
export { EmbeddedPostgres, sharesOneSession } from './pglite/embedded-postgres.js';

/** EventStoreDB adapter, loaded on demand so the gRPC client is only paid for when used. */
export const openEventStoreDb = async (connectionString: string): Promise<EventStore> => {
  const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store.js');
  return EventStoreDbEventStore.open(connectionString);
};
