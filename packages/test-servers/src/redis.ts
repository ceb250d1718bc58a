import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, freePort, startProcess, stopProcess } from './process.js';

/** A running throwaway redis-server. */
export interface RedisServer {
  /** e.g. `redis://127.0.0.1:63790` */
  readonly url: string;
  readonly port: number;
  kill(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
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
  const bin = await ensureBinary('/usr/bin/redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'twofold-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  let child: ChildProcess;
  const launch = async () => {
    child = await startProcess(bin, args, { ready: (out) => out.includes('Ready to accept connections') });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => {
      child.kill('SIGKILL');
    },
    restart: async () => {
      await stopProcess(child);
      await launch();
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
