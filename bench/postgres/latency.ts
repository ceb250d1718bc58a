// Phase 3: command-to-visible latency. Commands go through Twofold's write model at a steady rate, each to a stream
// of its own; a reader on another database handle (its own pool and LISTEN connection, as another node would have)
// waits in waitForEvents(after), then readAll(after, 1000). A command is timed from before mediator.execute() to
// the moment the reader holds its event. The reader starts at the log's head, so the first command is sent only once
// it has read where that is: an event committed before is behind it, and it would never hold it.
import { createMediator, type GlobalPosition, streamId, writeModels } from '@twofold/core';
import { type PostgresStore, postgres } from '@twofold/postgres';
import type { PostgresServer } from '@twofold/test-servers';
import { account, Deposit, expectRows, POOL } from './appends.js';

/** Milliseconds, sorted. */
export interface Latencies {
  /** From before execute() until it resolved: the command round trip with its commit. */
  readonly committed: readonly number[];
  /** From before execute() until the other store's reader had the event. */
  readonly visible: readonly number[];
}

/** The reader of the other node: records when each position reached it, and lets a command wait for its own. */
class Reader {
  readonly #arrived = new Map<number, number>();
  readonly #waiting = new Map<number, (at: number) => void>();
  readonly #stop = new AbortController();
  readonly #running: Promise<void>;
  /** Resolves once the reader knows the position it starts after: what is committed from then on reaches it. */
  readonly started: Promise<void>;
  received = 0;

  constructor(store: PostgresStore) {
    const start = store.head();
    this.started = start.then(() => {});
    this.#running = this.#run(store, start);
  }

  async #run(store: PostgresStore, start: Promise<GlobalPosition>): Promise<void> {
    let after = await start;
    while (!this.#stop.signal.aborted) {
      try {
        await store.waitForEvents(after, this.#stop.signal);
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        throw error;
      }
      const batch = await store.readAll(after, 1000);
      const now = performance.now();
      for (const { position } of batch) {
        this.received++;
        const waiter = this.#waiting.get(position);
        if (waiter === undefined) this.#arrived.set(position, now);
        else waiter(now);
        this.#waiting.delete(position);
      }
      after = batch.at(-1)?.position ?? after;
    }
  }

  /** When the event at `position` reached the reader (now or later); rejects after 10 s. */
  arrival(position: GlobalPosition): Promise<number> {
    const at = this.#arrived.get(position);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Event ${position} not visible after 10 s`)), 10_000);
      this.#waiting.set(position, (now) => {
        clearTimeout(timer);
        resolve(now);
      });
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}

export async function twofoldLatency(server: PostgresServer, rate: number, seconds: number): Promise<Latencies> {
  const options = { connection: server.url, schema: 'bench_latency' };
  const writing = await postgres({ ...options, maxConnections: POOL });
  const reading = await postgres({ ...options, maxConnections: 2 });
  const writer = writing.events;
  const other = reading.events;
  const mediator = createMediator().command(
    Deposit,
    writeModels({ store: writer }).eventSourced(account, { stream: ({ data }) => streamId('account', data.account) }),
  );
  const reader = new Reader(other);
  const committed: number[] = [];
  const visible: number[] = [];
  try {
    await reader.started;
    const total = Math.round(rate * seconds);
    const begin = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = begin + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        (async () => {
          const sent = performance.now();
          const { position } = await mediator.execute(Deposit, { account: `l${i}`, amount: 1 });
          committed.push(performance.now() - sent);
          visible.push((await reader.arrival(position!)) - sent);
        })(),
      );
    }
    await Promise.all(pending);
    expectRows('command-to-visible reader', reader.received, total);
  } finally {
    await reader.stop();
    await reading.close();
    await writing.close();
  }
  const ascending = (a: number, b: number) => a - b;
  return { committed: committed.sort(ascending), visible: visible.sort(ascending) };
}
