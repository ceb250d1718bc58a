// Phase (b): bookings committed one per transaction at a steady rate on the sending service (SQLite, its relay
// running), each handled by a NatsConsumer of the receiving service: the time from the commit returning to the
// receiver's inbox transaction committing.
import { join } from 'node:path';
import { NatsConsumer, natsRelay } from '@twofold/nats';
import { type SqliteConnection, sqlite } from '@twofold/sqlite';
import { runTypeScript } from '@twofold/test-servers';
import { commitBookings, freshStream, jetstream } from './messages.js';
import { invoicing, now } from './receiver.js';

export interface LatencyOptions {
  readonly url: string;
  readonly dir: string;
  /** Bookings per second, and for how long. */
  readonly rate: number;
  readonly seconds: number;
  readonly bytes: number;
  /** Where the receiving service runs. */
  readonly receiver: 'in-process' | 'process';
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const WARM_UP = 50;
let runs = 0;

/** The latencies in ms of the bookings after a warm-up, ascending. */
export async function latency(options: LatencyOptions): Promise<number[]> {
  runs++;
  const { nc, stream, prefix } = await freshStream(options.url);
  const hotel = sqlite(join(options.dir, `hotel-latency-${runs}.db`));
  const billingPath = join(options.dir, `billing-latency-${runs}.db`);
  const handledAt = new Map<string, number>();
  const js = jetstream(nc);
  const relay = natsRelay({ outbox: hotel.outbox, feed: hotel.events, jetstream: js, prefix, stream, logger: silent });
  let stopReceiver: () => Promise<void>;
  // Takes in what the receiver reported since the last call (the child process reports on its stdout).
  let collect = () => {};
  if (options.receiver === 'in-process') {
    const billing = sqlite(billingPath);
    const consumer = new NatsConsumer<SqliteConnection>({
      jetstream: js,
      stream,
      prefix,
      name: 'billing',
      ...invoicing(billing, (id, at) => handledAt.set(id, at)),
    });
    await consumer.start();
    stopReceiver = async () => {
      await consumer.stop();
      await billing.close();
    };
  } else {
    const child = runTypeScript(join(import.meta.dirname, 'consumer-process.ts'), [
      billingPath,
      options.url,
      stream,
      prefix,
    ]);
    await child.until((line) => line === 'ready');
    let read = 0;
    collect = () => {
      for (; read < child.lines.length; read++) {
        const [word, id, at] = child.lines[read]!.split(' ');
        if (word === 'handled' && id !== undefined) handledAt.set(id, Number(at));
      }
    };
    stopReceiver = async () => {
      child.process.kill('SIGTERM');
      await child.exited;
    };
  }
  relay.start();
  try {
    const total = WARM_UP + options.rate * options.seconds;
    const committedAt = new Map<string, number>();
    const started = now();
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / options.rate;
      const wait = due - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const [event] = await commitBookings(hotel, { from: n, count: 1, bytes: options.bytes, perCommit: 1 });
      committedAt.set(event!.id, now());
    }
    const deadline = now() + 30_000;
    for (collect(); handledAt.size < total; collect()) {
      if (now() > deadline) throw new Error(`only ${handledAt.size} of ${total} bookings handled after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return [...committedAt]
      .slice(WARM_UP)
      .map(([id, at]) => handledAt.get(id)! - at)
      .sort((a, b) => a - b);
  } finally {
    await relay.stop();
    await stopReceiver();
    await nc.close();
    await hotel.close();
  }
}
