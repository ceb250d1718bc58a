import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { betterSqlite3Entry } from '../driver/better-sqlite3.js';
import type { SqliteConnection } from '../driver/connection.js';
import { checkpointWorkerSource } from './checkpoint-worker.js';

/** How often the worker checkpoints each file. */
export const CHECKPOINT_INTERVAL_MS = 50;

/**
 * The main connection's `wal_autocheckpoint` when the worker checkpoints its file: the main thread checkpoints
 * only when the WAL reaches this many pages, which it does when the worker falls behind, is stalled or is dead.
 */
export const SAFETY_NET_PAGES = 10_000;

// How long closing waits for the worker to let go of the file; only a stuck worker makes it wait that long.
const CLOSE_WAIT_MS = 2_000;

/**
 * Runs SQLite's WAL checkpoints on one worker thread per process instead of inside the commits of the main
 * thread. The thread starts with the first file, holds one connection per file (whichever number of stores open
 * it), never keeps the process alive, and starts again with the next file if it ever stops.
 *
 * A checkpoint by another connection leaves `PRAGMA data_version` of the main connection unchanged (checked on
 * SQLite 3.53 for PASSIVE, FULL and RESTART checkpoints; only TRUNCATE changes it), so the event store's wake-ups
 * and the document store's cached lookups see no change that is not a commit.
 */
export class Checkpointer {
  #worker: CheckpointWorker | undefined;
  #round = 0;
  // The main connections open on each file, so that the worker lets go of a file with the last of them, and the
  // driver the worker opens it with: the first connection's.
  readonly #files = new Map<string, { readonly count: number; readonly driver: string }>();
  readonly #registered = new WeakMap<SqliteConnection, string>();

  /** Checkpoints `db`'s file in the background from now on. */
  add(db: SqliteConnection): void {
    if (this.#registered.has(db)) return;
    const path = resolve(db.name);
    this.#registered.set(db, path);
    const known = this.#files.get(path);
    // The worker must open the file with the main thread's SQLite library: two copies of SQLite in one process
    // do not see each other's locks.
    const driver = known?.driver ?? (db.driver === 'node:sqlite' ? 'node:sqlite' : betterSqlite3Entry());
    this.#files.set(path, { count: (known?.count ?? 0) + 1, driver });
    if (this.#worker === undefined) this.#worker = this.#start();
    else if (known === undefined) this.#worker.thread.postMessage({ open: path, driver });
  }

  /**
   * Stops checkpointing `db`'s file when no other connection added it, and waits until the worker has closed its
   * connection to it, so that the file is free once `db` closes. Removing twice is harmless.
   */
  remove(db: SqliteConnection): void {
    const path = this.#registered.get(db);
    if (path === undefined) return;
    this.#registered.delete(db);
    const known = this.#files.get(path);
    if (known !== undefined && known.count > 1) {
      this.#files.set(path, { count: known.count - 1, driver: known.driver });
      return;
    }
    this.#files.delete(path);
    const worker = this.#worker;
    if (worker === undefined) return;
    const done = new Int32Array(new SharedArrayBuffer(4));
    worker.thread.postMessage({ close: path, done: done.buffer });
    // A thread still starting has opened no connection: it will read the message before any round.
    if (Atomics.load(worker.ready, 0) === 1) Atomics.wait(done, 0, 0, CLOSE_WAIT_MS);
  }

  /**
   * Resolves once the worker has ended a round of checkpoints over every file it holds, begun after this call: a
   * test's signal that the files are checkpointed, rather than a wait. Rejects when no worker runs, or it stops.
   * Like the worker, a round asked for does not keep the process alive.
   */
  nextRound(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return Promise.reject(new Error('The checkpoint worker is not running'));
    const id = ++this.#round;
    return new Promise<void>((resolve, reject) => {
      worker.rounds.set(id, { resolve, reject });
      worker.thread.postMessage({ round: id });
    });
  }

  /** Ends the worker thread; it starts again when a file is next added. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.thread.terminate();
  }

  // Undefined when no thread can start: the safety net is then the only checkpointer, and the next file tries again.
  #start(): CheckpointWorker | undefined {
    const ready = new Int32Array(new SharedArrayBuffer(4));
    let thread: Worker;
    try {
      thread = new Worker(checkpointWorkerSource, {
        eval: true,
        execArgv: [],
        workerData: { intervalMs: CHECKPOINT_INTERVAL_MS, ready: ready.buffer },
      });
    } catch {
      return undefined;
    }
    const worker: CheckpointWorker = { thread, ready, rounds: new Map() };
    // An error ends the thread, which 'exit' reports; without a listener it would crash the process.
    thread.on('error', () => undefined);
    thread.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const { reject } of worker.rounds.values()) reject(new Error('The checkpoint worker stopped'));
      worker.rounds.clear();
    });
    thread.on('message', (message: { readonly round: number }) => {
      worker.rounds.get(message.round)?.resolve();
      worker.rounds.delete(message.round);
    });
    // After the listeners: a 'message' listener added later would hold the process open again.
    thread.unref();
    for (const [path, { driver }] of this.#files) thread.postMessage({ open: path, driver });
    return worker;
  }
}

interface CheckpointWorker {
  readonly thread: Worker;
  readonly ready: Int32Array;
  // The rounds asked for and not yet answered, by id.
  readonly rounds: Map<number, { resolve(): void; reject(error: Error): void }>;
}

/** The process's one checkpointer. */
export const checkpointer = new Checkpointer();
