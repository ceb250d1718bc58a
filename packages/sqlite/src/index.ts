/**
 * Twofold on SQLite, the embedded default: a write store for both write models, document and plain-SQL read
 * stores for projections, and checkpoints and dead letters for subscribers. Every store opens (and migrates) a
 * file under `data/` unless given a `path`.
 *
 * @example
 * import { SqliteDocumentStore, SqliteStore } from '@twofold/sqlite';
 * const store = new SqliteStore();          // data/twofold.db
 * const views = new SqliteDocumentStore();  // data/twofold-read.db
 * const models = writeModels({ store });
 * new ProjectionRunner({ projection: bookings, store: views, feed: store }).start();
 *
 * @module
 */
export type { SqliteConnectionOptions, SqliteTx } from './connection/open.js';
export type {
  SqliteConnection,
  SqliteDriverName,
  SqliteRunResult,
  SqliteStatement,
  SqliteTransaction,
} from './driver/connection.js';
export { SqliteStore, type SqliteStoreOptions } from './event-store/sqlite-store.js';
export { SqliteDocumentStore } from './read-store/document-store.js';
export type { ProjectionRef } from './read-store/slot-store.js';
export { type SlotSchema, type SlotTableName, SqliteTableStore, slotTable } from './read-store/table-store.js';
export { SqliteCheckpointStore } from './subscriptions/checkpoint-store.js';
export { SqliteDeadLetterStore } from './subscriptions/dead-letter-store.js';
