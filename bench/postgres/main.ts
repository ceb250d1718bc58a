// The PostgreSQL bench: Twofold's PostgresStore side by side with Emmett's PostgreSQL event store and with raw `pg`,
// on one throwaway durable PostgreSQL started for the run (fsync and synchronous_commit on).
// 1. appends/s, and command round trips/s, with 1, 8 and 32 concurrent writers (appends.ts);
// 2. catch-up: a reader from the start of a seeded log to its head (catch-up.ts);
// 3. command-to-visible latency at a steady rate, read on another store (latency.ts).
// Sizes: TWOFOLD_BENCH_SECONDS (per append case, default 3), TWOFOLD_BENCH_ROUNDS (of the append cases, default 2),
// TWOFOLD_BENCH_EVENTS (catch-up log, default 200,000),
// TWOFOLD_BENCH_RATE (commands/s, default 200), TWOFOLD_BENCH_LATENCY_SECONDS (default 10).
import { cpus, loadavg } from 'node:os';
import { startPostgres } from '@twofold/test-servers';
import { measureAppends } from './appends.js';
import { type CatchUp, emmettCatchUp, rawCatchUp, twofoldCatchUp } from './catch-up.js';
import { loadEmmett } from './emmett.js';
import { twofoldLatency } from './latency.js';
import { describePostgres } from './settings.js';

const SECONDS = Number(process.env.TWOFOLD_BENCH_SECONDS ?? 3);
const EVENTS = Number(process.env.TWOFOLD_BENCH_EVENTS ?? 200_000);
const RATE = Number(process.env.TWOFOLD_BENCH_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.TWOFOLD_BENCH_LATENCY_SECONDS ?? 10);
const ROUNDS = Number(process.env.TWOFOLD_BENCH_ROUNDS ?? 2);
const WRITERS = [1, 8, 32];
if (!Number.isSafeInteger(EVENTS / 100) || EVENTS <= 0)
  throw new Error('TWOFOLD_BENCH_EVENTS must be a multiple of 100');

const emmett = loadEmmett();
if (emmett === undefined) console.error('Emmett is not installed: run `npm run setup -w @twofold/bench` for its rows.');

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '' : `${(a / b).toFixed(2)}×`;
const perSecond = (r: number | undefined) => (r === undefined ? '-' : r.toFixed(0));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const server = await startPostgres({ durable: true });
try {
  console.log(await describePostgres(server.url));
  console.log(
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, Emmett PostgreSQL ${emmett?.version ?? 'not installed'}; load average before: ${load()}`,
  );

  const rounds = { server, emmett, writers: WRITERS, seconds: SECONDS, rounds: ROUNDS };
  const appends = await measureAppends({ ...rounds, mode: 'append' });
  const commands = await measureAppends({ ...rounds, mode: 'command' });
  const table = (title: string, rows: typeof appends) => {
    console.log(
      `\n${title}; best of ${ROUNDS} rounds of ${SECONDS} s per case, each after a ${SECONDS / 4} s warm-up; pools of 40`,
    );
    console.log('writers       raw  raw+NOTIFY   Twofold    Emmett  Twofold ÷ raw  Twofold ÷ Emmett');
    for (const row of rows) {
      console.log(
        String(row.writers).padEnd(7),
        perSecond(row.raw).padStart(9),
        perSecond(row.notify).padStart(11),
        perSecond(row.twofold).padStart(9),
        perSecond(row.emmett).padStart(9),
        ratio(row.twofold, row.raw).padStart(14),
        ratio(row.twofold, row.emmett).padStart(17),
      );
    }
  };
  table('1a. Appends/s: 1 event to a new stream, expected not to exist (store.append / appendToStream)', appends);
  table(
    '1b. Command round trips/s: load, decide, append 1 event to a new stream (write model / CommandHandler)',
    commands,
  );

  const raw = await rawCatchUp(server, EVENTS);
  const twofold = await twofoldCatchUp(server, EVENTS);
  const twofoldRead = twofold.read;
  const catchUps: { name: string; result: CatchUp }[] = [
    { name: 'raw', result: raw },
    { name: 'Twofold', result: twofold },
    { name: 'Twofold, after ANALYZE', result: { ...twofold, read: twofold.readAnalyzed } },
  ];
  if (emmett !== undefined) catchUps.push({ name: 'Emmett', result: await emmettCatchUp(emmett, server, EVENTS) });
  console.log(`\n2. Catch-up of ${EVENTS} events: written in appends of 100 (8 in flight), read in batches of 1000`);
  console.log('contender                written/s     read/s  Twofold read ÷  read twice  missed');
  for (const { name, result } of catchUps) {
    console.log(
      name.padEnd(22),
      (name.includes('ANALYZE') ? '' : perSecond(result.written)).padStart(9),
      perSecond(result.read).padStart(10),
      (name.startsWith('Twofold') ? '' : ratio(twofoldRead, result.read)).padStart(15),
      String(result.repeated).padStart(11),
      String(result.missed).padStart(7),
    );
  }

  const latency = await twofoldLatency(server, RATE, LATENCY_SECONDS);
  const at = (sorted: readonly number[], q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  const quantiles = (sorted: readonly number[]) =>
    `p50 ${at(sorted, 0.5)} ms, p99 ${at(sorted, 0.99)} ms, max ${at(sorted, 1)} ms`;
  console.log(
    `\n3. Command to visible: ${latency.visible.length} Twofold commands at ${RATE}/s over ${LATENCY_SECONDS} s, read on another store`,
  );
  console.log(`  execute() resolved:        ${quantiles(latency.committed)}`);
  console.log(`  event read on other store: ${quantiles(latency.visible)}`);

  const at8 = appends.find((a) => a.writers === 8)!;
  const commandsAt8 = commands.find((a) => a.writers === 8)!;
  const p99 = Number(at(latency.visible, 0.99));
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log(`\nLoad average after: ${load()}`);
  if (at8.emmett !== undefined) {
    const x = at8.twofold / at8.emmett;
    console.log(`Target ≥ 2× Emmett at 8 writers: ${verdict(x >= 2)} (${x.toFixed(2)}×)`);
  }
  const ofRaw = at8.twofold / at8.raw;
  console.log(`Target ≥ 60% of raw at 8 writers: ${verdict(ofRaw >= 0.6)} (${(ofRaw * 100).toFixed(0)}%)`);
  if (commandsAt8.emmett !== undefined) {
    console.log(
      `Command round trips at 8 writers: ${(commandsAt8.twofold / commandsAt8.emmett).toFixed(2)}× Emmett, ${((commandsAt8.twofold / commandsAt8.raw) * 100).toFixed(0)}% of raw`,
    );
  }
  console.log(
    `Target catch-up ≥ 50k events/s: ${verdict(twofoldRead >= 50_000)} (${twofoldRead.toFixed(0)}/s as written, ${twofold.readAnalyzed.toFixed(0)}/s after ANALYZE)`,
  );
  console.log(`Target command-to-visible p99 ≤ 20 ms: ${verdict(p99 <= 20)} (${p99.toFixed(2)} ms)`);
} finally {
  await server.stop();
}
