/**
 * Twofold on PostgreSQL, for when one machine is not enough: several application nodes share one event store,
 * one set of read models, and the checkpoints of their subscribers. One database handle owns the pool, keeps its
 * tables in a schema (default `public`), and migrates them when it opens; every store is a view on it.
 *
 * @example
 * import { postgres } from '@twofold/postgres';
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store: db.events });
 * new ProjectionRunner({ projection: bookings, store: db.documents, feed: db.events }).start();
 *
 * @module
 */
export type { PostgresCommandQueue } from './command-queue/command-queue-store.js';
export { type MigrationReport, migratePostgres } from './connection/migrate-all.js';
export type { PostgresClient, PostgresConnectionOptions } from './connection/schema-pool.js';
export { type PostgresDatabase, type PostgresOptions, postgres } from './database/postgres-database.js';
export type { PostgresStore } from './event-store/postgres-store.js';
export { EVENTS_PER_COMMIT } from './event-store/schema.js';
export type { PostgresInbox } from './inbox/inbox.js';
export type { LeaderWork, Lease, LeaseOptions } from './leadership/lease.js';
export type { PostgresOutbox } from './outbox/outbox.js';
export type { PostgresProcessStore } from './process-managers/process-store.js';
export type { PostgresDocumentStore } from './read-store/document-store.js';
export { type PostgresTableStore, type SlotSchema, type SlotTableName, slotTable } from './read-store/table-store.js';
export type { ProjectionRef } from './read-store/versioned-read-store.js';
export type { PostgresCheckpointStore, PostgresDeadLetterStore } from './subscriptions/stores.js';
