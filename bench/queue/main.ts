// The queue bench: Twofold's command queue on PostgreSQL beside graphile-worker and pg-boss on the same throwaway
// durable server, Twofold's queue on SQLite (embedded), and BullMQ on Redis as the in-memory reference.
// (a) throughput: jobs stored up front, then drained by workers at concurrency 1, 8 and 32 with a no-op handler;
// (b) enqueue-to-start latency at a steady rate, with idle workers waiting for wake-ups.
// Sizes: TWOFOLD_BENCH_JOBS (per throughput case, default 5000), TWOFOLD_BENCH_ROUNDS (of every case, each round
// in the reverse order of the one before, default 1), TWOFOLD_BENCH_RATE (jobs/s, default 200),
// TWOFOLD_BENCH_LATENCY_SECONDS (default 5), TWOFOLD_BENCH_LATENCY_CONCURRENCY (default 8).
// TWOFOLD_BENCH_CONTENDERS (comma-separated names, default all) runs only some rows. TWOFOLD_BENCH_FLUSH_DELAY_US (default 0) makes each flush of PostgreSQL's log that much
// slower, as a slower disk would.
import { cpus, loadavg } from 'node:os';
import { type RedisServer, startPostgres, startRedis } from '@twofold/test-servers';
import { checkpoint, checkpointCount, describePostgres, preallocateWal, slowFlushes } from '../postgres/settings.js';
import type { Contender } from './contender.js';
import { bullMq, graphileWorker, pgBoss } from './peer-contenders.js';
import { loadQueuePeers } from './peers.js';
import { latency, quantile, throughput } from './phases.js';
import { twofoldPostgres, twofoldSqlite } from './twofold.js';

const JOBS = Number(process.env.TWOFOLD_BENCH_JOBS ?? 5000);
const ROUNDS = Number(process.env.TWOFOLD_BENCH_ROUNDS ?? 1);
const RATE = Number(process.env.TWOFOLD_BENCH_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.TWOFOLD_BENCH_LATENCY_SECONDS ?? 5);
const LATENCY_CONCURRENCY = Number(process.env.TWOFOLD_BENCH_LATENCY_CONCURRENCY ?? 8);
const ONLY = process.env.TWOFOLD_BENCH_CONTENDERS?.split(',').map((name) => name.trim());
const FLUSH_DELAY_US = Number(process.env.TWOFOLD_BENCH_FLUSH_DELAY_US ?? 0);
const CONCURRENCY = [1, 8, 32];
const SQLITE_TARGET = 10_000;
// Log segments the server makes before the first case (16 MB each), so that none is made while a case runs.
const WAL_AHEAD = 16;
for (const [name, value] of Object.entries({ JOBS, ROUNDS, RATE, LATENCY_SECONDS, LATENCY_CONCURRENCY })) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`TWOFOLD_BENCH_${name} must be an integer >= 1`);
}
// PostgreSQL's own bounds for commit_delay.
if (!Number.isSafeInteger(FLUSH_DELAY_US) || FLUSH_DELAY_US < 0 || FLUSH_DELAY_US > 100_000) {
  throw new Error('TWOFOLD_BENCH_FLUSH_DELAY_US must be an integer from 0 to 100000');
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const peers = await loadQueuePeers();
const missing = (['graphile', 'pgBoss', 'bullmq'] as const).filter((name) => peers[name] === undefined);
if (missing.length > 0) {
  console.error(`Not installed: ${missing.join(', ')}. Run \`npm run setup -w @twofold/bench\` for their rows.`);
}

const postgres = await startPostgres({ durable: true });
let redis: RedisServer | undefined;
try {
  if (FLUSH_DELAY_US > 0) await slowFlushes(postgres.url, FLUSH_DELAY_US);
  const ahead = await preallocateWal(postgres.url, WAL_AHEAD);
  if (peers.bullmq !== undefined) redis = await startRedis();
  const contenders: Contender[] = [twofoldPostgres(postgres)];
  if (peers.graphile) {
    contenders.push(graphileWorker(peers.graphile.api, peers.graphile.version, postgres));
    contenders.push(graphileWorker(peers.graphile.api, peers.graphile.version, postgres, { batched: true }));
  }
  if (peers.pgBoss) contenders.push(pgBoss(peers.pgBoss.api, peers.pgBoss.version, postgres));
  contenders.push(twofoldSqlite('FULL'), twofoldSqlite('NORMAL'));
  if (peers.bullmq && redis) contenders.push(bullMq(peers.bullmq.api, peers.bullmq.version, redis));
  const running = contenders.filter((c) => ONLY === undefined || ONLY.includes(c.name));

  console.log(`${await describePostgres(postgres.url)}, ${ahead} log segments made ahead`);
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}; load average before: ${load()}`);
  for (const contender of running) console.log(`  ${contender.name.padEnd(22)} ${contender.describe}`);

  const processed = new Map<string, number>();
  const enqueued = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const concurrency of CONCURRENCY) {
      for (const contender of round % 2 === 0 ? running : [...running].reverse()) {
        const result = await throughput(contender, concurrency, JOBS);
        const key = `${contender.name} ${concurrency}`;
        processed.set(key, Math.max(processed.get(key) ?? 0, result.processed));
        enqueued.set(key, Math.max(enqueued.get(key) ?? 0, result.enqueued));
      }
    }
  }
  const rate = (map: Map<string, number>, name: string, concurrency: number) => map.get(`${name} ${concurrency}`);
  const cell = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}×`;
  const table = (title: string, map: Map<string, number>, ratios: boolean) => {
    console.log(`\n${title}`);
    const width = (name: string) => Math.max(name.length, 7);
    const ratioNames = ratios ? ['÷ graphile-worker', '÷ graphile batched', '÷ pg-boss', 'SQLite FULL ÷ 10k'] : [];
    console.log(
      ['concurrency', ...running.map((c) => c.name.padStart(width(c.name))), ...ratioNames.map((r) => r.padStart(17))]
        .join('  ')
        .trimEnd(),
    );
    for (const concurrency of CONCURRENCY) {
      const twofold = rate(map, 'Twofold', concurrency);
      const cells = [
        String(concurrency).padEnd(11),
        ...running.map((c) => cell(rate(map, c.name, concurrency)).padStart(width(c.name))),
      ];
      if (ratios) {
        cells.push(
          ratio(twofold, rate(map, 'graphile-worker', concurrency)).padStart(17),
          ratio(twofold, rate(map, 'graphile-worker batched', concurrency)).padStart(17),
          ratio(twofold, rate(map, 'pg-boss', concurrency)).padStart(17),
          ratio(rate(map, 'Twofold SQLite FULL', concurrency), SQLITE_TARGET).padStart(17),
        );
      }
      console.log(cells.join('  '));
    }
  };
  const best = ROUNDS > 1 ? `, best of ${ROUNDS} rounds` : '';
  table(
    `(a) Jobs processed/s, no-op handler: ${JOBS} jobs stored up front, then drained (first to last handler call)${best}; Twofold ÷ each peer on PostgreSQL`,
    processed,
    true,
  );
  table(
    `    Jobs enqueued/s while storing the backlog, 32 enqueues in flight (for information)${best}`,
    enqueued,
    false,
  );

  console.log(
    `\n(b) Enqueue-to-start latency: ${RATE} jobs/s for ${LATENCY_SECONDS} s (after ${Math.ceil(RATE / 2)} warm-up jobs), idle workers at concurrency ${LATENCY_CONCURRENCY}`,
  );
  console.log(
    '    Each case starts after a CHECKPOINT, so that none pays for the writes of the cases before; the last column counts the checkpoints PostgreSQL made during the case.',
  );
  console.log(
    '    Split at the settling of the enqueue call: "stored", from the call to its answer (the commit); "woken", from the answer to the start of the handler (the wake-up and the claim).',
  );
  console.log(`${'contender'.padEnd(22)}  p50 ms  p99 ms  max ms  stored p50 / p99  woken p50 / p99  checkpoints`);
  // Each round takes the contenders in the reverse order of the one before; the verdict compares median p99s.
  const p99 = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of round % 2 === 0 ? running : [...running].reverse()) {
      const before = await checkpoint(postgres.url);
      const { total, stored, woken } = await latency(contender, {
        concurrency: LATENCY_CONCURRENCY,
        rate: RATE,
        seconds: LATENCY_SECONDS,
      });
      const during = (await checkpointCount(postgres.url)) - before;
      p99.set(contender.name, [...(p99.get(contender.name) ?? []), quantile(total, 0.99)]);
      const ms = (sorted: readonly number[], q: number) => quantile(sorted, q).toFixed(2).padStart(6);
      const split = (sorted: readonly number[]) => `${ms(sorted, 0.5)} / ${ms(sorted, 0.99)}`;
      const name = ROUNDS > 1 ? `${contender.name} (${round + 1})` : contender.name;
      console.log(
        `${name.padEnd(22)}  ${ms(total, 0.5)}  ${ms(total, 0.99)}  ${ms(total, 1)}  ${split(stored).padStart(16)}  ${split(woken).padStart(15)}  ${String(during).padStart(11)}`,
      );
    }
  }

  console.log(`\nLoad average after: ${load()}`);
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const ratios = (peer: string) =>
    CONCURRENCY.map((c) => {
      const a = rate(processed, 'Twofold', c);
      const b = rate(processed, peer, c);
      return a === undefined || b === undefined ? undefined : a / b;
    });
  const graphile = ratios('graphile-worker');
  if (graphile.every((r) => r !== undefined)) {
    const list = graphile.map((r, i) => `${r.toFixed(2)}× at ${CONCURRENCY[i]}`).join(', ');
    console.log(
      `Target PostgreSQL throughput ≥ graphile-worker's: ${verdict(graphile.every((r) => r >= 1))} (${list})`,
    );
  }
  const batched = ratios('graphile-worker batched');
  if (batched.every((r) => r !== undefined)) {
    console.log(
      `PostgreSQL throughput ÷ graphile-worker with its batching on (for information): ${batched.map((r, i) => `${r.toFixed(2)}× at ${CONCURRENCY[i]}`).join(', ')}`,
    );
  }
  const pgBossRatios = ratios('pg-boss');
  if (pgBossRatios.every((r) => r !== undefined)) {
    console.log(
      `PostgreSQL throughput ÷ pg-boss: ${pgBossRatios.map((r, i) => `${r.toFixed(2)}× at ${CONCURRENCY[i]}`).join(', ')}`,
    );
  }
  const ours = p99.get('Twofold');
  const theirs = p99.get('graphile-worker');
  if (ours !== undefined && theirs !== undefined) {
    const list = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(', ');
    const rounds = ROUNDS > 1 ? `median of ${ROUNDS} rounds, ` : '';
    const each = ROUNDS > 1 ? `; each round: ${list(ours)} against ${list(theirs)}` : '';
    console.log(
      `Target PostgreSQL p99 ≤ graphile-worker's: ${verdict(median(ours) <= median(theirs))} (${rounds}${median(ours).toFixed(2)} ms against ${median(theirs).toFixed(2)} ms${each})`,
    );
  }
  const sqlite = CONCURRENCY.map((c) => rate(processed, 'Twofold SQLite FULL', c));
  if (sqlite.every((r) => r !== undefined)) {
    const top = Math.max(...sqlite);
    console.log(
      `Target SQLite ≥ ${SQLITE_TARGET}/s durably (synchronous FULL), at the best concurrency: ${verdict(top >= SQLITE_TARGET)} (${sqlite.map((r, i) => `${r.toFixed(0)}/s at ${CONCURRENCY[i]}`).join(', ')})`,
    );
  }
} finally {
  await redis?.stop();
  await postgres.stop();
}

/** The middle value of `values`, or the mean of the two middle ones. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
