// Drains a backlog on the SQLite queue alone, with no PostgreSQL in the process tree, so that a tool wrapped around
// it counts this process's syncs only: `strace -f -c -e trace=fsync,fdatasync node … queue/sqlite-drain.ts`.
// Sizes: TWOFOLD_BENCH_JOBS (default 2000), TWOFOLD_BENCH_CONCURRENCY (comma-separated, default 32),
// TWOFOLD_BENCH_SYNCHRONOUS (FULL or NORMAL, default FULL).
import { twofoldSqlite } from './twofold.js';

const JOBS = Number(process.env.TWOFOLD_BENCH_JOBS ?? 2000);
const SYNCHRONOUS = process.env.TWOFOLD_BENCH_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';
const CONCURRENCY = (process.env.TWOFOLD_BENCH_CONCURRENCY ?? '32').split(',').map(Number);
if (!Number.isSafeInteger(JOBS) || JOBS < 2) throw new Error('TWOFOLD_BENCH_JOBS must be an integer >= 2');

const contender = twofoldSqlite(SYNCHRONOUS);
for (const concurrency of CONCURRENCY) {
  const queue = await contender.open();
  try {
    for (let n = 0; n < JOBS; n++) await queue.enqueue(n);
    let ran = 0;
    let first = 0;
    const all = new Promise<void>((resolve) => {
      void queue.start(concurrency, 'drain', () => {
        if (ran === 0) first = performance.now();
        if (++ran === JOBS) resolve();
      });
    });
    await all;
    const rate = (JOBS - 1) / ((performance.now() - first) / 1000);
    await queue.stop();
    const remaining = await queue.remaining();
    if (remaining !== 0) throw new Error(`${remaining} jobs not recorded as done`);
    console.log(`SQLite ${SYNCHRONOUS}, concurrency ${concurrency}: ${JOBS} jobs drained, ${rate.toFixed(0)} jobs/s`);
  } finally {
    await queue.close();
  }
}
