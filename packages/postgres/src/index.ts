/**
 * Twofold on PostgreSQL, for when one machine is not enough: several application nodes share one event store,
 * one set of read models, and the checkpoints of their subscribers. Each store connects with a connection string
 * (or a `pg` Pool), keeps its tables in a schema (default `public`), and migrates them when it opens.
 *
 * @example
 * import { PostgresDocumentStore, PostgresStore, runExclusively } from '@twofold/postgres';
 * const store = await PostgresStore.open({ connection: process.env.DATABASE_URL! });
 * const views = await PostgresDocumentStore.open({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store });
 *
 * @module
 */
export { type MigrationReport, migratePostgres } from './connection/migrate-all.js';
export type { PostgresConnectionOptions, PostgresTx } from './connection/pool.js';
export { PostgresStore, type PostgresStoreOptions } from './event-store/postgres-store.js';
export { EVENTS_PER_COMMIT } from './event-store/schema.js';
export { type LeaderWork, type Lease, type LeaseOptions, runExclusively } from './leadership/lease.js';
export { PostgresOutbox } from './outbox/outbox.js';
export { PostgresDocumentStore } from './read-store/document-store.js';
export type { ProjectionRef } from './read-store/slot-store.js';
export { PostgresTableStore, type SlotSchema, type SlotTableName, slotTable } from './read-store/table-store.js';
export { PostgresCheckpointStore, PostgresDeadLetterStore } from './subscriptions/stores.js';
