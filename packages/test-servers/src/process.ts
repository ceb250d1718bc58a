import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

export const exec = promisify(execFile);

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Makes sure a server binary exists. When it does not and we run as root, installs the Debian package
 * (as CI does on a fresh machine); otherwise fails with the command that installs it.
 */
export async function ensureBinary(path: string | (() => string | undefined), debianPackage: string): Promise<string> {
  const find = typeof path === 'function' ? path : () => (existsSync(path) ? path : undefined);
  const found = find();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `The tests need ${debianPackage}, which is not installed. Install it with: sudo apt-get install -y ${debianPackage}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await exec('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
  await exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', debianPackage], { env, timeout: 600_000 });
  const installed = find();
  if (installed === undefined) throw new Error(`apt-get installed ${debianPackage}, but its binary is still missing`);
  return installed;
}

/** Spawns a server and resolves once `ready` says so, or rejects with its output if it exits first. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: {
    readonly ready: (output: string) => boolean;
    readonly uid?: number;
    readonly gid?: number;
    readonly timeoutMs?: number;
    /** The server's working directory. */
    readonly cwd?: string;
  },
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not become ready in time:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** Stops a child with `signal` and waits for it to exit, killing it if it takes longer than `graceMs`. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The running processes (zombies excluded: they have no working directory) whose working directory is `dir`. */
function processesIn(dir: string): number[] {
  const path = realpathSync(dir);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === path) found.push(Number(entry));
    } catch {
      // exited since the listing, or a zombie
    }
  }
  return found;
}

/**
 * Kills with SIGKILL every process still running in a server's directory and waits until none runs. A server killed
 * alone, as a crash would, leaves the processes it forked running for a while (PostgreSQL's backends notice late,
 * keeping its shared memory attached, which refuses a restart on the same directory; they make themselves group
 * leaders, so no process group reaches them): a restart, or a removal, comes after this.
 */
export async function killProcessesIn(dir: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesIn(dir);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${left.join(', ')} still run in ${dir} after SIGKILL`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
