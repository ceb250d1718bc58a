export { type Child, type RunOptions, runTypeScript } from './child.js';
export { type NatsServer, startNats } from './nats.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { freePort } from './process.js';
export { type RedisServer, startRedis } from './redis.js';
