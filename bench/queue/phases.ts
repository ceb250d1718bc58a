// The two phases every contender goes through, each on a fresh queue:
// (a) throughput: `jobs` jobs stored up front, then workers at one concurrency drain them;
// (b) enqueue-to-start latency: idle workers wait while jobs are enqueued at a steady rate.
// Both end with the same guard: the handler saw every job exactly once, and the store records every job as done.
import type { Contender, QueueCase } from './contender.js';

/** Enqueues in flight at once while a backlog is stored. */
const ENQUEUE_IN_FLIGHT = 32;

/** Counts the handler's calls per job, and resolves `all` once every job has been handled at least once. */
class Tally {
  readonly #seen: Uint32Array;
  readonly #done: Promise<void>;
  #resolve: () => void = () => {};
  #handled = 0;
  first = 0;
  last = 0;

  constructor(jobs: number) {
    this.#seen = new Uint32Array(jobs);
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** The no-op handler: notes that job `n` ran, and when. */
  readonly handle = (n: number): void => {
    const now = performance.now();
    if (this.#handled === 0) this.first = now;
    this.last = now;
    this.#seen[n]!++;
    if (++this.#handled === this.#seen.length) this.#resolve();
  };

  /** Resolves once every job ran, or fails after `ms` with how many did. */
  async all(what: string, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: ${this.#handled} of ${this.#seen.length} jobs ran within ${ms} ms`)),
        ms,
      );
    });
    try {
      await Promise.race([this.#done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails unless every job ran exactly once. */
  expectOnce(what: string): void {
    const twice = this.#seen.filter((count) => count > 1).length;
    const never = this.#seen.filter((count) => count === 0).length;
    if (twice > 0 || never > 0) throw new Error(`${what}: ${twice} jobs ran more than once, ${never} never`);
  }
}

/** Stops the workers and fails unless every job ran exactly once and the store records every one as done. */
async function guard(queue: QueueCase, tally: Tally, what: string): Promise<void> {
  await queue.stop();
  tally.expectOnce(what);
  const remaining = await queue.remaining();
  if (remaining !== 0) throw new Error(`${what}: ${remaining} jobs not recorded as done after the workers stopped`);
}

/** Runs `op(0)` … `op(total - 1)`, at most `inFlight` at once. */
async function inFlight(total: number, inFlight: number, op: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < total) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, loop));
}

export interface Throughput {
  /** Jobs stored per second while the backlog was enqueued, `ENQUEUE_IN_FLIGHT` at a time (for information). */
  readonly enqueued: number;
  /** Jobs run per second, from the first handler call to the last. */
  readonly processed: number;
}

/** Phase (a): store `jobs` jobs, then drain them with workers at `concurrency`. */
export async function throughput(contender: Contender, concurrency: number, jobs: number): Promise<Throughput> {
  const what = `${contender.name}, ${jobs} jobs at concurrency ${concurrency}`;
  const queue = await contender.open();
  try {
    const enqueueStart = performance.now();
    await inFlight(jobs, ENQUEUE_IN_FLIGHT, (n) => queue.enqueue(n));
    const enqueued = jobs / ((performance.now() - enqueueStart) / 1000);
    const tally = new Tally(jobs);
    await queue.start(concurrency, 'drain', tally.handle);
    await tally.all(what, 120_000);
    await guard(queue, tally, what);
    const seconds = (tally.last - tally.first) / 1000;
    return { enqueued, processed: (jobs - 1) / seconds };
  } finally {
    await queue.close();
  }
}

/** Each counted job's times in ms, each list sorted on its own. */
export interface Latencies {
  /** From just before `enqueue` was called to the start of the handler: the enqueue-to-start latency. */
  readonly total: readonly number[];
  /** From just before `enqueue` was called to the settling of its promise: the enqueue's commit. */
  readonly stored: readonly number[];
  /**
   * From the settling of the enqueue's promise to the start of the handler: the wake-up and the claim (negative
   * when the handler started before the enqueuing call had its answer).
   */
  readonly woken: readonly number[];
}

/**
 * Phase (b): workers at `concurrency` start and go idle; then jobs are enqueued at `rate` per second for
 * `seconds`, each without waiting for the one before. The first half-second of jobs warms the connections up and
 * is not counted.
 */
export async function latency(
  contender: Contender,
  options: { readonly concurrency: number; readonly rate: number; readonly seconds: number },
): Promise<Latencies> {
  const { concurrency, rate, seconds } = options;
  const warm = Math.ceil(rate / 2);
  const total = warm + Math.round(rate * seconds);
  const what = `${contender.name}, latency at ${rate}/s`;
  const queue = await contender.open();
  try {
    const sent = new Float64Array(total);
    const started = new Float64Array(total);
    const stored = new Float64Array(total);
    const tally = new Tally(total);
    await queue.start(concurrency, 'wait', (n) => {
      started[n] = performance.now();
      tally.handle(n);
    });
    // Let the workers find the queue empty and go to sleep, so that what is measured is their wake-up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const begin = performance.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const wait = begin + (n * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent[n] = performance.now();
      pending.push(
        queue.enqueue(n).then(() => {
          stored[n] = performance.now();
        }),
      );
    }
    await Promise.all(pending);
    await tally.all(what, 60_000);
    await guard(queue, tally, what);
    const counted = (from: Float64Array, to: Float64Array) => {
      const spans: number[] = [];
      for (let n = warm; n < total; n++) spans.push(to[n]! - from[n]!);
      return spans.sort((a, b) => a - b);
    };
    return { total: counted(sent, started), stored: counted(sent, stored), woken: counted(stored, started) };
  } finally {
    await queue.close();
  }
}

/** The value at quantile `q` of ascending `sorted`. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
