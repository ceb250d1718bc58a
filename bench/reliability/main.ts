// The reliability bench: `npm run bench:reliability -w @twofold/bench --
// [kill-loop|fuzz|soak|neighbour|cancellation-faults]…` (all five when none is named). Sizes come from the environment; see README.md.
import { createApp } from '../../examples/hotel/src/app/server.js';
import { today } from '../../examples/hotel/src/domain/dates.js';
import { runCancellationFaults } from './cancellation-faults.js';
import { openWriteSide } from './fingerprint.js';
import { runFuzz } from './fuzz.js';
import { runKillLoop } from './kill-loop.js';
import { runNeighbour } from './neighbour.js';
import { seedFromEnv, sizeFromEnv } from './random.js';
import { runSoak, withinLatencyBand } from './soak.js';
import { openTarget, type StoreName, storesFromEnv } from './target.js';

const log = (line: string) => console.log(`  ${line}`);
let failed = false;
const verdict = (ok: boolean, line: string) => {
  if (!ok) failed = true;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${line}`);
};

async function killLoop(store: StoreName): Promise<void> {
  const target = await openTarget(store);
  try {
    const kills = sizeFromEnv('RELIABILITY_KILLS', 100);
    const report = await runKillLoop({ target, kills, seed: seedFromEnv(), log: (l) => kills <= 20 || log(l) });
    console.log(
      `kill loop on ${store} (seed ${report.seed}): ${report.kills} kills, ${report.acknowledged.bookings} bookings, ` +
        `${report.acknowledged.confirmations} confirmations and ` +
        `${report.acknowledged.cancellations} cancellations acknowledged, ${report.resent} requests resent after a kill, ` +
        `refused ${JSON.stringify(report.refused)}, ${report.events} events in the log`,
    );
    for (const line of [...report.unexpected, ...report.lost, ...report.duplicates, ...report.overlaps].slice(0, 20)) {
      log(line);
    }
    verdict(
      report.lost.length + report.duplicates.length + report.overlaps.length + report.unexpected.length === 0,
      `kill loop on ${store}: lost ${report.lost.length}, duplicate effects ${report.duplicates.length}, overlaps ${report.overlaps.length}, unexpected answers ${report.unexpected.length}`,
    );
  } finally {
    await target.close();
  }
}

async function fuzz(store: StoreName): Promise<void> {
  const target = await openTarget(store);
  const app = await createApp({ ...target.config, logger: false });
  const writes = await openWriteSide(target.config);
  try {
    const api = `${await app.server.listen({ port: 0, host: '127.0.0.1' })}/api`;
    const requests = sizeFromEnv('RELIABILITY_FUZZ', 10_000);
    const report = await runFuzz({
      api,
      requests,
      seed: seedFromEnv(),
      today: today(),
      writeSide: () => writes.digest(),
      log,
    });
    console.log(
      `fuzz on ${store} (seed ${report.seed}): ${report.requests} requests, by status ${JSON.stringify(report.statuses)}; ` +
        `commands ${report.commands.succeeded} done, ${report.commands.refused} refused by a rule`,
    );
    for (const line of report.failures.slice(0, 20)) log(line);
    verdict(report.failures.length === 0, `fuzz on ${store}: ${report.failures.length} failures`);
  } finally {
    await writes.close();
    await app.close();
    await target.close();
  }
}

async function soak(store: StoreName): Promise<void> {
  const target = await openTarget(store);
  try {
    const seconds = sizeFromEnv('RELIABILITY_SOAK_SECONDS', 600);
    const rate = sizeFromEnv('RELIABILITY_SOAK_RATE', 80);
    const windowSeconds = sizeFromEnv('RELIABILITY_SOAK_WINDOW_SECONDS', 60);
    const warmupWindows = process.env.RELIABILITY_SOAK_WARMUP === '0' ? 0 : sizeFromEnv('RELIABILITY_SOAK_WARMUP', 1);
    console.log(
      `soak on ${store}: ${seconds} s at ${rate} requests/s, one row per ${windowSeconds} s, the first ${warmupWindows} a warm-up`,
    );
    const report = await runSoak({ target, seconds, rate, windowSeconds, warmupWindows, seed: seedFromEnv(), log });
    for (const [error, count] of Object.entries(report.errors).slice(0, 10)) log(`${count} × ${error}`);
    for (const line of report.outside) log(line);
    const errors = report.windows.reduce((sum, w) => sum + w.errors, 0);
    verdict(
      report.outside.length === 0 && errors === 0,
      `soak on ${store}: ${errors} errors, ${report.outside.length} windows outside the band`,
    );
  } finally {
    await target.close();
  }
}

async function neighbour(): Promise<void> {
  const target = await openTarget('postgres');
  try {
    const seconds = sizeFromEnv('RELIABILITY_NEIGHBOUR_SECONDS', 30);
    const { alone, neighbour } = await runNeighbour({ target, seconds, log });
    if (neighbour.error !== undefined) log(`first error beside the open transaction: ${neighbour.error}`);
    verdict(
      neighbour.errors === 0 && withinLatencyBand(neighbour.p99, alone.p99),
      `hostile neighbour: read-your-writes p99 ${alone.p99} ms alone, ${neighbour.p99} ms beside an open transaction, ${neighbour.errors} errors`,
    );
  } finally {
    await target.close();
  }
}

async function cancellationFaults(): Promise<void> {
  const rounds = sizeFromEnv('CANCELLATION_FAULT_ROUNDS', 10);
  const perRound = sizeFromEnv('CANCELLATION_FAULT_BOOKINGS', 20);
  const report = await runCancellationFaults({ rounds, perRound, completionMs: 300_000 });
  console.log(report.summary);
  const wrong = report.accepted.filter((id) =>
    [report.billed, report.recorded, report.mails, report.alerts].some((counts) => counts.get(id) !== 1),
  );
  const cancelled = new Set(report.accepted);
  const stray = [report.billed, report.recorded, report.mails, report.alerts].some((counts) =>
    [...counts.keys()].some((id) => !cancelled.has(id)),
  );
  for (const id of wrong.slice(0, 20)) {
    log(
      `${id}: billed ${report.billed.get(id) ?? 0}, recorded ${report.recorded.get(id) ?? 0}, mails ${report.mails.get(id) ?? 0}, alerts ${report.alerts.get(id) ?? 0}`,
    );
  }
  verdict(
    wrong.length === 0 && !stray,
    `cancellation faults: ${wrong.length} of ${report.accepted.length} cancellations without exactly one refund, refund recorded, mail and alert${stray ? ', and effects for bookings never cancelled' : ''}`,
  );
}

const parts = process.argv.slice(2);
const run = (part: string) => parts.length === 0 || parts.includes(part);
for (const store of storesFromEnv()) {
  if (run('kill-loop')) await killLoop(store);
  if (run('fuzz')) await fuzz(store);
  if (run('soak')) await soak(store);
}
if (run('neighbour')) await neighbour();
if (run('cancellation-faults')) await cancellationFaults();
process.exitCode = failed ? 1 : 0;
