export { type Child, type RunOptions, runTypeScript } from './child.js';
export { type NatsServer, startNats } from './nats.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { freePort } from './process.js';
export type { QueueStoreModule } from './queue-crash/queue-app.js';
export { type QueueCrashOptions, queueCrashTest } from './queue-crash/queue-crash-test.js';
export { type RedisServer, startRedis } from './redis.js';
