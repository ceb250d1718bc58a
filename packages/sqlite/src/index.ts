export type { SqliteConnectionOptions, SqliteTx } from './connection/open.js';
export { SqliteStore, type SqliteStoreOptions } from './event-store/sqlite-store.js';
export { SqliteDocumentStore } from './read-store/document-store.js';
