export type { SqliteConnectionOptions, SqliteTx } from './connection/open.js';
export { SqliteStore, type SqliteStoreOptions } from './event-store/sqlite-store.js';
export { SqliteDocumentStore } from './read-store/document-store.js';
export type { ProjectionRef } from './read-store/slot-store.js';
export { type SlotSchema, type SlotTableName, SqliteTableStore, slotTable } from './read-store/table-store.js';
export { SqliteCheckpointStore } from './subscriptions/checkpoint-store.js';
export { SqliteDeadLetterStore } from './subscriptions/dead-letter-store.js';
