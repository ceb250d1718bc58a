import { InvalidArgumentError } from '@twofold/core';
import type { RedisOptions } from 'ioredis';
import { RedisConnection } from './connection.js';
import { RedisDocumentStore } from './document-store.js';
import { KeyLayout } from './keys.js';

/** Options of {@link redis}. */
export interface RedisDatabaseOptions {
  /** A `redis://` URL, or ioredis options (host, port, password, tls…; not `keyPrefix`: use `prefix`). */
  readonly redis: string | RedisOptions;
  /** What every key the handle writes starts with. Default: `'twofold'`. */
  readonly prefix?: string;
  /**
   * How long a call waits for Redis to be reachable before it fails with `RedisUnavailableError`.
   * Default: 5000 ms.
   */
  readonly readyTimeoutMs?: number;
}

/** One Redis server as Twofold uses it: one connection, and the document read store as a view on it. */
export interface RedisDatabase {
  /** The document read store: projections' JSON documents, their checkpoints and active versions. */
  readonly documents: RedisDocumentStore;
  /** Closes the connection; calls after it fail. Closing twice is harmless. */
  close(): Promise<void>;
}

/**
 * Opens a Redis handle: one ioredis connection (made at once, connecting in the background) whose keys all start
 * with `prefix`, so that several applications can share a database.
 *
 * @example
 * const views = redis({ redis: process.env.REDIS_URL!, prefix: 'hotel' });
 * new ProjectionRunner({ projection: bookings, store: views.documents, feed: store }).start();
 * // on shutdown:
 * await views.close();
 */
export function redis(options: RedisDatabaseOptions): RedisDatabase {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('redis(): expected options { redis, prefix?, readyTimeoutMs? }');
  }
  const keys = new KeyLayout(options.prefix ?? 'twofold');
  const connection = new RedisConnection(options.redis, options.readyTimeoutMs ?? 5000);
  const documents = new RedisDocumentStore(connection, keys);
  return { documents, close: () => connection.close() };
}
