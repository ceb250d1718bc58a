export type { RedisDocumentReader, RedisDocumentTx } from './collections.js';
export { RedisUnavailableError } from './connection.js';
export type { ProjectionRef } from './keys.js';
export { RedisProjectionStore, type RedisProjectionStoreOptions } from './redis-store.js';
