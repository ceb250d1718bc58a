import { type ServerProcess, startThrowawayServer } from './server-process.js';

/** A running throwaway redis-server. */
export interface RedisServer extends ServerProcess {
  /** e.g. `redis://127.0.0.1:63790` */
  readonly url: string;
  readonly port: number;
}

/**
 * Starts redis-server on a free port of 127.0.0.1 with a temp directory and no persistence, for tests.
 * Installs the Debian package first when it is missing and we are root.
 *
 * @example
 * const redis = await startRedis();
 * try { await useRedis(redis.url); } finally { await redis.stop(); }
 */
export async function startRedis(): Promise<RedisServer> {
  const server = await startThrowawayServer({
    binary: '/usr/bin/redis-server',
    debianPackage: 'redis-server',
    args: (dir, port) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    ready: 'Ready to accept connections',
  });
  return { url: `redis://127.0.0.1:${server.port}`, ...server };
}
