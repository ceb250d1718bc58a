// The hotel as it runs in production: examples/hotel/src/main.ts in a child process, on a socket.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from '@twofold/test-servers';
import type { Target } from './target.js';

const entry = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'warm-hotel.ts');

/** One run of the hotel's process. */
export interface HotelProcess {
  /** The API's base URL, e.g. `http://127.0.0.1:40123/api`. */
  readonly api: string;
  readonly pid: number;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the app closes its stores cleanly), and resolves once the process is gone. */
  stop(): Promise<void>;
  /** The process's resident set size in bytes, from /proc. */
  rss(): number;
  /**
   * What the process holds right after a full garbage collection, in bytes (`process.memoryUsage()`), with its
   * event loop's delay since the call before (or since it started) and its CPU time so far.
   */
  memory(): Promise<HotelMemory>;
  /** What the process wrote to stderr. */
  stderr(): string;
}

/** `process.memoryUsage()` of a hotel process, taken after a full garbage collection. */
export interface HotelMemory {
  readonly rss: number;
  /** The JavaScript heap's size, live objects and free space. */
  readonly heapTotal: number;
  /** The live JavaScript objects. */
  readonly heapUsed: number;
  /** Memory outside the heap that JavaScript objects hold (buffers, native objects that report it). */
  readonly external: number;
  readonly arrayBuffers: number;
  /**
   * How long the event loop took to come back to a timer due every 10 ms (`monitorEventLoopDelay`), p99 and max in
   * ms: 10 on an idle loop. Since the call before or since the process started, not counting this call's collection.
   */
  readonly eventLoopDelay: { readonly p99: number; readonly max: number };
  /** CPU time the process has spent since it started, in µs (`process.cpuUsage()`), before this call's collection. */
  readonly cpu: { readonly user: number; readonly system: number };
}

/** A hotel process that has loaded its code and not yet opened its data. */
export interface LoadedHotel {
  /** Runs the hotel's main.ts and resolves once it listens. */
  start(): Promise<HotelProcess>;
  /** Kills the process unstarted. */
  discard(): Promise<void>;
}

/**
 * Spawns a hotel process for `target`'s data, to listen on `port` of 127.0.0.1 (0: any free port), and resolves
 * once it has loaded its code; a replacement can load while the process it replaces still runs.
 *
 * @example
 * const next = await loadHotelProcess(target, 0);
 * await current.kill();
 * const hotel = await next.start();
 */
export async function loadHotelProcess(target: Target, port: number): Promise<LoadedHotel> {
  const child = runTypeScript(entry, [], {
    env: { ...target.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
    await child.exited;
  };
  await child.until((line) => line === 'loaded');
  const pid = child.process.pid!;
  let asked = 0;
  return {
    discard: () => end('SIGKILL'),
    start: async () => {
      child.process.kill('SIGUSR2');
      const banner = await child.until((line) => line.startsWith('Twofold Hotel:'));
      const bound = /localhost:(\d+)/.exec(banner)?.[1];
      if (bound === undefined) throw new Error(`Cannot read the port from: ${banner}`);
      return {
        api: `http://127.0.0.1:${bound}/api`,
        pid,
        kill: () => end('SIGKILL'),
        stop: () => end('SIGTERM'),
        rss: () => {
          const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
          return Number(kb) * 1024;
        },
        memory: async () => {
          const n = ++asked;
          child.process.kill('SIGUSR2');
          const line = await child.until((l) => l.startsWith(`memory ${n} `));
          return JSON.parse(line.slice(`memory ${n} `.length)) as HotelMemory;
        },
        stderr: () => child.stderr(),
      };
    },
  };
}

/**
 * Starts the hotel on `target`'s data and resolves once it listens.
 *
 * @example
 * const hotel = await startHotelProcess(target, 0);
 * await fetch(`${hotel.api}/queries/hotel.FreeRooms?from=2030-05-01&to=2030-05-02`);
 * await hotel.stop();
 */
export async function startHotelProcess(target: Target, port: number): Promise<HotelProcess> {
  return (await loadHotelProcess(target, port)).start();
}
