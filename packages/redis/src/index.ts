export { RedisUnavailableError } from './connection.js';
export type { RedisDocumentStore } from './document-store.js';
export type { ProjectionRef } from './keys.js';
export { type RedisDatabase, type RedisDatabaseOptions, redis } from './redis-database.js';
