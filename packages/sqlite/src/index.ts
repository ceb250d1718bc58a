/**
 * Twofold on SQLite, the embedded default: one handle per database file, `sqlite(path)`, whose stores share its
 * connection: a write store for both write models, document and plain-SQL read stores for projections,
 * checkpoints and dead letters for subscribers, the transactional outbox, the inbox of received messages, the
 * command queue and the process managers' store. Without a path, the file is
 * `data/twofold.db`.
 *
 * @example
 * import { sqlite } from '@twofold/sqlite';
 * const db = sqlite('data/hotel.db');
 * const models = writeModels({ store: db.events });
 * new ProjectionRunner({ projection: bookings, store: db.documents, feed: db.events }).start();
 * await db.close();
 *
 * @module
 */
export type { ProjectionRef } from '@twofold/core/adapters';
export type { SqliteCommandQueue } from './command-queue/command-queue-store.js';
export type { SqliteConnectionOptions } from './connection/open.js';
export { type SqliteDatabase, type SqliteOptions, sqlite } from './database/sqlite-database.js';
export type {
  SqliteConnection,
  SqliteDriverName,
  SqliteRunResult,
  SqliteStatement,
  SqliteTransaction,
} from './driver/connection.js';
export type { SqliteEventOptions, SqliteStore } from './event-store/sqlite-store.js';
export type { SqliteInbox } from './inbox/inbox.js';
export type { SqliteOutbox } from './outbox/outbox.js';
export type { SqliteProcessStore } from './process-managers/process-store.js';
export type { SqliteDocumentStore } from './read-store/document-store.js';
export type { SqliteInlineDocuments } from './read-store/inline-documents.js';
export { type SlotSchema, type SlotTableName, type SqliteTableStore, slotTable } from './read-store/table-store.js';
export type { SqliteCheckpointStore } from './subscriptions/checkpoint-store.js';
export type { SqliteDeadLetterStore } from './subscriptions/dead-letter-store.js';
