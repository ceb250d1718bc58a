/**
 * Twofold on PostgreSQL, for when one machine is not enough: several application nodes share one event store,
 * one set of read models, and the checkpoints of their subscribers. Each store connects with a connection string
 * (or a `pg` Pool), keeps its tables in a schema (default `public`), and migrates them when it opens.
 *
 * @example
 * import { PostgresDocumentStore, PostgresStore } from '@twofold/postgres';
 * const store = await PostgresStore.open({ connection: process.env.DATABASE_URL! });
 * const views = await PostgresDocumentStore.open({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store });
 *
 * @module
 */
export { type Migration, migrate } from './connection/migrations.js';
export type { PostgresConnectionOptions, PostgresTx } from './connection/pool.js';
export { PostgresStore, type PostgresStoreOptions } from './event-store/postgres-store.js';
export { EVENTS_PER_COMMIT } from './event-store/schema.js';
