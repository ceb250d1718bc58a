import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, freePort, startProcess, stopProcess } from './process.js';

/** A running throwaway nats-server with JetStream. */
export interface NatsServer {
  /** e.g. `nats://127.0.0.1:42220` */
  readonly url: string;
  readonly port: number;
  /** JetStream's store directory: it outlives `kill()` and `restart()`, and `stop()` removes it. */
  readonly storeDir: string;
  /** Kills the server with SIGKILL, as a crash would. */
  kill(): void;
  /** Stops the server (if it still runs) and starts it again on the same port and store. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts nats-server with JetStream on a free port of 127.0.0.1, its store in a temp directory, for tests. It
 * resolves once the server logs that it is ready (JetStream is started before that). Installs the Debian package
 * first when it is missing and we are root.
 *
 * @example
 * const nats = await startNats();
 * try { await useBroker(nats.url); } finally { await nats.stop(); }
 */
export async function startNats(): Promise<NatsServer> {
  const bin = await ensureBinary('/usr/sbin/nats-server', 'nats-server');
  const storeDir = mkdtempSync(join(tmpdir(), 'twofold-nats-'));
  const port = await freePort();
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  let child: ChildProcess;
  const launch = async () => {
    child = await startProcess(bin, args, { ready: (out) => out.includes('Server is ready') });
  };
  try {
    await launch();
  } catch (error) {
    rmSync(storeDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill: () => {
      child.kill('SIGKILL');
    },
    restart: async () => {
      await stopProcess(child);
      await launch();
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
