// The broker bench, side by side in one run against one throwaway nats-server (JetStream, file store in a temp
// directory, a free port):
// (a) throughput: N events committed beforehand, then published: by natsRelay over the SQLite outbox, by natsRelay
//     over the PostgreSQL outbox (a throwaway durable server), and raw: the same messages from this process with
//     jetstream.publish, all acks awaited together. Each case on a fresh stream with the same settings.
// (b) latency: bookings committed one per transaction at a steady rate on a sending service (SQLite, relay
//     running), handled by a NatsConsumer with an inbox on its own SQLite file, in this process and in another one.
// Sizes: TWOFOLD_BENCH_EVENTS (per throughput case, default 5000), TWOFOLD_BENCH_ROUNDS (of the throughput cases,
// default 2, the best kept), TWOFOLD_BENCH_BYTES (event data, default 256), TWOFOLD_BENCH_RATE (bookings/s,
// default 200), TWOFOLD_BENCH_LATENCY_SECONDS (default 5).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgres } from '@twofold/postgres';
import { sqlite } from '@twofold/sqlite';
import { startNats, startPostgres } from '@twofold/test-servers';
import { latency } from './latency.js';
import { commitBookings, type Sender } from './messages.js';
import { type Published, raw, relayed } from './throughput.js';

const EVENTS = Number(process.env.TWOFOLD_BENCH_EVENTS ?? 5000);
const ROUNDS = Number(process.env.TWOFOLD_BENCH_ROUNDS ?? 2);
const BYTES = Number(process.env.TWOFOLD_BENCH_BYTES ?? 256);
const RATE = Number(process.env.TWOFOLD_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.TWOFOLD_BENCH_LATENCY_SECONDS ?? 5);
for (const [name, value] of Object.entries({ EVENTS, ROUNDS, BYTES, RATE, SECONDS })) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`TWOFOLD_BENCH_${name} must be an integer >= 1`);
}
const THROUGHPUT_TARGET = 0.5;
const P99_TARGET_MS = 20;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const dir = mkdtempSync(join(tmpdir(), 'twofold-bench-broker-'));
const nats = await startNats();
const pg = await startPostgres({ durable: true });
try {
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}; load average before: ${load()}`);
  console.log(`nats-server on ${nats.url} (JetStream store ${nats.storeDir}); PostgreSQL on ${pg.url} (fsync on)`);
  console.log(`(a) ${EVENTS} events of ${BYTES} B of data per case, best of ${ROUNDS} rounds`);

  let filled = 0;
  // A sending database holding `EVENTS` committed events with their outbox rows, 100 per transaction.
  const fill = async <Tx>(sender: Sender<Tx>) => {
    const events = await commitBookings(sender, { from: filled, count: EVENTS, bytes: BYTES, perCommit: 100 });
    filled += EVENTS;
    return events;
  };
  const cases: Record<string, () => Promise<Published>> = {
    'raw JetStream': async () => {
      const db = sqlite(join(dir, `raw-${filled}.db`));
      try {
        return await raw(nats.url, await fill(db));
      } finally {
        await db.close();
      }
    },
    'natsRelay, SQLite outbox': async () => {
      const db = sqlite(join(dir, `relay-${filled}.db`));
      try {
        await fill(db);
        return await relayed(nats.url, db, EVENTS);
      } finally {
        await db.close();
      }
    },
    'natsRelay, PostgreSQL outbox': async () => {
      const db = await postgres({ connection: pg.url, schema: `bench_broker_${filled}` });
      try {
        await fill(db);
        return await relayed(nats.url, db, EVENTS);
      } finally {
        await db.close();
      }
    },
  };
  const best = new Map<string, Published>();
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(cases);
    for (const name of round % 2 === 0 ? names : names.reverse()) {
      const result = await cases[name]!();
      if ((best.get(name)?.perSecond ?? 0) < result.perSecond) best.set(name, result);
    }
  }
  const rawRate = best.get('raw JetStream')!.perSecond;
  console.log(`\ncase                           msg/s   ÷ raw  body B  headers B`);
  for (const [name, result] of best) {
    const ratio = result.perSecond / rawRate;
    const verdict = name === 'raw JetStream' ? '' : ratio >= THROUGHPUT_TARGET ? '  target met' : '  TARGET MISSED';
    console.log(
      `${name.padEnd(28)} ${result.perSecond.toFixed(0).padStart(7)}  ${ratio.toFixed(2).padStart(5)}  ${String(result.bodyBytes).padStart(6)}  ${String(result.headerBytes).padStart(9)}${verdict}`,
    );
  }

  console.log(`\n(b) ${RATE} bookings/s for ${SECONDS} s (after 50 of warm-up), committed → handled`);
  console.log(`receiver                   p50 ms  p99 ms  max ms`);
  for (const receiver of ['in-process', 'process'] as const) {
    const sorted = await latency({ url: nats.url, dir, rate: RATE, seconds: SECONDS, bytes: BYTES, receiver });
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const verdict = at(0.99) <= P99_TARGET_MS ? 'target met' : 'TARGET MISSED';
    const label = receiver === 'in-process' ? 'consumer in this process' : 'consumer in its own process';
    console.log(
      `${label.padEnd(26)} ${at(0.5).toFixed(2).padStart(6)}  ${at(0.99).toFixed(2).padStart(6)}  ${sorted.at(-1)!.toFixed(2).padStart(6)}  ${verdict}`,
    );
  }
  console.log(`\nload average after: ${load()}`);
} finally {
  await nats.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
