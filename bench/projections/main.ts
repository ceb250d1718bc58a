// The projections bench: catch-up throughput of an async projection into a SQLite read model over a large log, with
// peak memory sampled during the run; then command-to-visible latency of an async projection at a steady load.
// Sizes: TWOFOLD_BENCH_EVENTS (catch-up log, default 1,000,000), TWOFOLD_BENCH_RATE (commands/s, default 200),
// TWOFOLD_BENCH_SECONDS (latency run, default 10).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMediator,
  type DocumentTx,
  defineCommand,
  defineDecider,
  defineEvent,
  type NewEvent,
  ProjectionRunner,
  projection,
  streamId,
  writeModels,
} from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { z } from 'zod';

const EVENTS = Number(process.env.TWOFOLD_BENCH_EVENTS ?? 1_000_000);
const RATE = Number(process.env.TWOFOLD_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.TWOFOLD_BENCH_SECONDS ?? 10);
const ACCOUNTS = 10_000;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const Deposit = defineCommand('bank.Deposit', z.object({ account: z.string(), amount: z.number().positive() }));
const Deposited = defineEvent('bank.Deposited', z.object({ account: z.string(), amount: z.number() }));
const account = defineDecider({
  name: 'account',
  commands: [Deposit],
  events: [Deposited],
  initialState: () => ({}),
  evolve: (state) => state,
  decide: (command) => [{ type: 'bank.Deposited', data: command.data }],
});

type Balance = { account: string; balance: number; deposits: number };
const balances = projection<DocumentTx>('balances').on(Deposited, async ({ account: id, amount }, tx) => {
  const accounts = tx.collection<Balance>('accounts');
  const current = (await accounts.get(id)) ?? { account: id, balance: 0, deposits: 0 };
  accounts.put(id, { account: id, balance: current.balance + amount, deposits: current.deposits + 1 });
});

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function catchUp(dir: string): Promise<void> {
  const writes = sqlite(join(dir, 'catch-up-writes.db'));
  const reads = sqlite(join(dir, 'catch-up-reads.db'));
  const events = writes.events;
  const views = reads.documents;
  try {
    const seedStart = performance.now();
    for (let written = 0; written < EVENTS; written += 1000) {
      const appends = [];
      for (let i = written; i < Math.min(EVENTS, written + 1000); i += 10) {
        const id = `a${(i / 10) % ACCOUNTS}`;
        const batch: NewEvent[] = Array.from({ length: 10 }, () => ({
          type: Deposited.type,
          data: { account: id, amount: 1 },
        }));
        appends.push({ streamId: streamId('account', `${id}-${i}`), expectedVersion: 'any' as const, events: batch });
      }
      await events.commit({ appends });
    }
    const seeded = (performance.now() - seedStart) / 1000;

    // Sampled after each batch: the catch-up keeps the event loop busy, so a timer would never fire.
    const samples: number[] = [];
    const runner = new ProjectionRunner({
      projection: balances,
      store: views,
      feed: events,
      batchSize: 1000,
      logger: quiet,
      onProgress: () => void samples.push(process.memoryUsage().rss),
    });
    const started = performance.now();
    const position = await runner.catchUp();
    const seconds = (performance.now() - started) / 1000;
    const peak = Math.max(...samples);
    const total = await views.read(balances).collection<Balance>('accounts').count();
    const tenth = Math.max(1, Math.floor(samples.length / 10));
    const early = Math.max(...samples.slice(0, tenth));
    const late = Math.max(...samples.slice(-tenth));
    console.log(`catch-up: ${position} events (seeded in ${seeded.toFixed(1)} s) into ${total} documents`);
    console.log(`  ${Math.round(position / seconds)} events/s over ${seconds.toFixed(1)} s`);
    console.log(`  RSS: peak ${mib(peak)}; highest in the first tenth ${mib(early)}, in the last tenth ${mib(late)}`);
  } finally {
    await writes.close();
    await reads.close();
  }
}

async function latency(dir: string): Promise<void> {
  const writes = sqlite(join(dir, 'latency-writes.db'));
  const reads = sqlite(join(dir, 'latency-reads.db'));
  const events = writes.events;
  const views = reads.documents;
  const runner = new ProjectionRunner({ projection: balances, store: views, feed: events, logger: quiet });
  const models = writeModels({ store: events });
  const mediator = createMediator().command(
    Deposit,
    models.eventSourced(account, { stream: ({ data }) => streamId('account', data.account) }),
  );
  runner.start();
  const timings: number[] = [];
  try {
    const total = RATE * SECONDS;
    const interval = 1000 / RATE;
    const pending: Promise<void>[] = [];
    const begin = performance.now();
    for (let i = 0; i < total; i++) {
      const due = begin + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        (async () => {
          const sent = performance.now();
          const { position } = await mediator.execute(Deposit, { account: `a${i % ACCOUNTS}`, amount: 1 });
          await runner.progress.waitFor(position!, AbortSignal.timeout(10_000));
          timings.push(performance.now() - sent);
        })(),
      );
    }
    await Promise.all(pending);
  } finally {
    await runner.stop();
    await writes.close();
    await reads.close();
  }
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))]!.toFixed(2);
  console.log(
    `command-to-visible: ${timings.length} commands at ${RATE}/s over ${SECONDS} s (execute → projection applied)`,
  );
  console.log(`  p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'twofold-bench-proj-'));
try {
  console.log(`Projections on SQLite files (WAL, synchronous NORMAL), Node ${process.version}`);
  await catchUp(dir);
  await latency(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
