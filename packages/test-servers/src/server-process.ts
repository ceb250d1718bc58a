import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, freePort, killProcessesIn, startProcess, stopProcess } from './process.js';

/** A throwaway server's process, on a directory of its own. */
export interface ServerProcess {
  /** Kills the server with SIGKILL, as a crash would, leaving its directory in place. */
  kill(): void;
  /**
   * Stops the server (if it still runs) and starts it again with the same arguments, port and directory. After a
   * `kill()`, what the server had forked and still runs is killed first, as an operator restarting a crashed server
   * would.
   */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** How {@link startServerProcess} runs a server. */
export interface ServerProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The server's directory, and its working directory: removed on `stop()`, and when the server fails to start. */
  readonly dir: string;
  /** What the server logs once it accepts connections. */
  readonly ready: string;
  /** The signal that stops it cleanly. Default: SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
}

/**
 * Starts a server and resolves once it logs `ready`; what every throwaway server of the tests (PostgreSQL, Redis,
 * NATS) is started, killed, restarted and stopped with.
 *
 * @example
 * const server = await startServerProcess({ command: bin, args, dir, ready: 'Ready to accept connections' });
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const { command, args, dir, ready, stopSignal = 'SIGTERM', ...ids } = options;
  let child: ChildProcess;
  const launch = async () => {
    child = await startProcess(command, args, { ...ids, cwd: dir, ready: (out) => out.includes(ready) });
  };
  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    kill: () => {
      child.kill('SIGKILL');
    },
    restart: async () => {
      await stopProcess(child, stopSignal);
      await killProcessesIn(dir);
      await launch();
    },
    stop: async () => {
      await stopProcess(child, stopSignal);
      await killProcessesIn(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway server started by {@link startThrowawayServer}: its free port and temp directory. */
export interface ThrowawayServer extends ServerProcess {
  readonly port: number;
  readonly dir: string;
}

/**
 * Starts a server's binary on a free port of 127.0.0.1 with a temp directory of its own, installing its Debian
 * package first when it is missing and we are root (as `ensureBinary` does); `args` gets the directory and port.
 *
 * @example
 * const redis = await startThrowawayServer({ binary: '/usr/bin/redis-server', debianPackage: 'redis-server',
 *   args: (dir, port) => ['--port', String(port), '--dir', dir], ready: 'Ready to accept connections' });
 */
export async function startThrowawayServer(options: {
  readonly binary: string;
  readonly debianPackage: string;
  readonly args: (dir: string, port: number) => readonly string[];
  readonly ready: string;
}): Promise<ThrowawayServer> {
  const command = await ensureBinary(options.binary, options.debianPackage);
  const dir = mkdtempSync(join(tmpdir(), `twofold-${options.debianPackage}-`));
  const port = await freePort();
  const server = await startServerProcess({ command, args: options.args(dir, port), dir, ready: options.ready });
  return { port, dir, ...server };
}
