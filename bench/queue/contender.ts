// What every contender of the queue bench provides, so that both phases drive them all through the same steps.

/**
 * How a contender's workers are run: `drain` works off a backlog stored before the workers start; `wait` has
 * idle workers waiting for jobs that arrive one by one, woken as soon as the contender can tell them.
 */
export type WorkerMode = 'drain' | 'wait';

/** One contender's queue for one case: a fresh schema, database file or queue name, dropped with the server. */
export interface QueueCase {
  /** Stores the job numbered `n` and resolves once the contender says it is stored. */
  enqueue(n: number): Promise<void>;
  /** Starts workers that call `handler(n)` for each job, at most `concurrency` at once. */
  start(concurrency: number, mode: WorkerMode, handler: (n: number) => void): Promise<void>;
  /** Stops the workers, letting the jobs they hold finish and be recorded as done. */
  stop(): Promise<void>;
  /** How many stored jobs the contender does not record as done (after `stop`). */
  remaining(): Promise<number>;
  /** Closes every connection of the case. */
  close(): Promise<void>;
}

/** A queue on one store: Twofold on PostgreSQL or SQLite, or a peer. */
export interface Contender {
  /** The row's name in the tables. */
  readonly name: string;
  /** What runs: the library, its version, the store and its durability. */
  readonly describe: string;
  /** A fresh, empty queue. */
  open(): Promise<QueueCase>;
}

/** A logger that prints nothing, for Twofold's apps (a failed job fails the bench through its guard). */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

let cases = 0;
/** A fresh schema, queue or file name for each case, so that every case starts empty. */
export const unique = (base: string): string => `${base}_${++cases}`;

/** Connections in each PostgreSQL contender's pool: enough for 32 workers, the same for all. */
export const POOL = 40;
