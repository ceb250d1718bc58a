// The write-model bench: one command round trip (load a stream, decide, append with the expected version) on a
// SQLite file, sequentially and with 8 concurrent callers, side by side with Emmett's SQLite event store doing the
// same work and with raw single-row insert commits at the same durability settings, once per SQLite driver that
// loads on this Node (better-sqlite3 on the Node that built it, node:sqlite from Node 22.13).
// Sizes: TWOFOLD_BENCH_SECONDS (per case, default 3), TWOFOLD_BENCH_STREAMS (default 200).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMediator,
  DomainError,
  defineCommand,
  defineDecider,
  defineEvent,
  streamId,
  writeModels,
} from '@twofold/core';
import { type SqliteDriverName, sqlite } from '@twofold/sqlite';
import { z } from 'zod';
import { PEERS_DIR } from '../mediator/nest.js';

const SECONDS = Number(process.env.TWOFOLD_BENCH_SECONDS ?? 3);
const STREAMS = Number(process.env.TWOFOLD_BENCH_STREAMS ?? 200);
const CONCURRENCY = 8;
type Sync = 'NORMAL' | 'FULL';

/** What the raw rows use of either driver's own connection: both have these three calls. */
interface RawDatabase {
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
}
type RawOpen = (path: string) => RawDatabase;

// Each driver's own connection, for the raw rows; undefined where the driver does not load on this Node.
function rawDriver(driver: SqliteDriverName): RawOpen | undefined {
  try {
    if (driver === 'node:sqlite') {
      const sqlite = process.getBuiltinModule('node:sqlite') as { DatabaseSync: new (path: string) => RawDatabase };
      if (sqlite === undefined) return undefined;
      return (path) => new sqlite.DatabaseSync(path);
    }
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => RawDatabase;
    new Database(':memory:').close();
    return (path) => new Database(path);
  } catch {
    return undefined;
  }
}

const Deposit = defineCommand('bank.Deposit', z.object({ account: z.string(), amount: z.number().positive() }));
const Deposited = defineEvent('bank.Deposited', z.object({ account: z.string(), amount: z.number() }));
const account = defineDecider({
  name: 'account',
  commands: [Deposit],
  events: [Deposited],
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
  decide: (command, state) => {
    if (state.balance > 1e12) throw new DomainError('LIMIT', 'Balance limit');
    return [{ type: 'bank.Deposited', data: command.data }];
  },
});

/**
 * Runs `op` from `callers` concurrent loops for a warm-up of half of SECONDS, so that every side is measured in
 * its steady state, then for SECONDS, and returns the measured operations per second.
 */
async function rate(callers: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  let next = 0;
  await run(callers, SECONDS / 2, op, () => next++);
  return run(callers, SECONDS, op, () => next++);
}

async function run(
  callers: number,
  seconds: number,
  op: (i: number) => Promise<unknown> | unknown,
  nextIndex: () => number,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) {
      await op(nextIndex());
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, loop));
  return done / ((performance.now() - started) / 1000);
}

async function twofold(
  dir: string,
  driver: SqliteDriverName,
  synchronous: Sync,
  { callers, cacheSize }: { readonly callers: number; readonly cacheSize?: number },
): Promise<number> {
  const file = `twofold-${driver.replace(':', '-')}-${synchronous}-${callers}-${cacheSize ?? 'cache'}.db`;
  const db = sqlite({ path: join(dir, file), synchronous, driver });
  const store = db.events;
  const models = writeModels({ store, retries: 10, ...(cacheSize === undefined ? {} : { cacheSize }) });
  const mediator = createMediator().command(
    Deposit,
    models.eventSourced(account, { stream: ({ data }) => streamId('account', data.account) }),
  );
  try {
    return await rate(callers, (i) => mediator.send(Deposit, { account: `a${i % STREAMS}`, amount: 1 }));
  } finally {
    await db.close();
  }
}

function raw(dir: string, open: RawOpen, synchronous: Sync): Promise<number> {
  const db = open(join(dir, `raw-${synchronous}-${crypto.randomUUID()}.db`));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}`);
  db.exec('create table t (id integer primary key, stream text not null, data text not null)');
  const insert = db.prepare('insert into t (stream, data) values (?, ?)');
  const payload = JSON.stringify({ account: 'a1', amount: 1 });
  return rate(1, (i) => insert.run(`a${i % STREAMS}`, payload)).finally(() => db.close());
}

/**
 * For scale, not for the targets: raw insert commits of the row a round trip writes, into a table shaped like
 * Twofold's log, with its unique (stream, version) index, the next version of a stream each time.
 */
function rawEventRow(dir: string, open: RawOpen, synchronous: Sync): Promise<number> {
  const db = open(join(dir, `raw-events-${synchronous}-${crypto.randomUUID()}.db`));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}`);
  db.exec(`create table e (position integer primary key, id text not null, stream_id text not null,
    stream_version integer not null, type text not null, schema_version integer not null, data text,
    metadata text not null, timestamp integer not null, unique (stream_id, stream_version))`);
  const insert = db.prepare('insert into e values (null, ?, ?, ?, ?, 1, ?, ?, ?)');
  const payload = JSON.stringify({ account: 'a1', amount: 1 });
  const id = crypto.randomUUID();
  const metadata = JSON.stringify({ commandId: id, commandType: 'bank.Deposit', correlationId: id, causationId: id });
  return rate(1, (i) =>
    insert.run(
      crypto.randomUUID(),
      `account-a${i % STREAMS}`,
      Math.floor(i / STREAMS) + 1,
      'bank.Deposited',
      payload,
      metadata,
      Date.now(),
    ),
  ).finally(() => db.close());
}

interface EmmettStore {
  appendToStream(stream: string, events: unknown[], options?: { expectedStreamVersion?: bigint }): Promise<unknown>;
  readStream(stream: string): Promise<{ currentStreamVersion: bigint; events: { data: { amount: number } }[] }>;
}

// Emmett is loaded from the bench's own peers folder, so that the repository never needs it installed.
function emmettFactory(): ((fileName: string) => EmmettStore) | undefined {
  try {
    const require = createRequire(join(PEERS_DIR, 'package.json'));
    const sqlite = require('@event-driven-io/emmett-sqlite') as {
      getSQLiteEventStore: (options: { fileName: string; schema?: { autoMigration?: string } }) => EmmettStore;
    };
    return (fileName) => sqlite.getSQLiteEventStore({ fileName });
  } catch {
    return undefined;
  }
}

async function emmett(make: (fileName: string) => EmmettStore, dir: string, callers: number): Promise<number> {
  const store = make(join(dir, `emmett-${callers}.db`));
  return rate(callers, async (i) => {
    const stream = `account-a${i % STREAMS}`;
    const { currentStreamVersion, events } = await store.readStream(stream);
    const balance = events.reduce((sum, e) => sum + e.data.amount, 0);
    if (balance > 1e12) throw new Error('limit');
    await store
      .appendToStream(stream, [{ type: 'bank.Deposited', data: { account: stream, amount: 1 } }], {
        expectedStreamVersion: currentStreamVersion,
      })
      .catch((error: unknown) => {
        if (!String(error).includes('xpected')) throw error;
      });
  });
}

// The better-sqlite3 rows keep the names of the figures measured before node:sqlite had rows of its own.
const onDriver = (driver: SqliteDriverName, name: string) =>
  driver === 'better-sqlite3' ? name : name.replace('Twofold round trip', 'Twofold round trip on node:sqlite');

const dir = mkdtempSync(join(tmpdir(), 'twofold-bench-wm-'));
const results: { name: string; rate: number | undefined; raw?: string; eventRow?: string }[] = [];
try {
  const make = emmettFactory();
  if (make === undefined) {
    console.error(
      'Emmett does not load: run `npm run setup -w @twofold/bench` (with the Node that runs the bench) for its rows.',
    );
  }
  for (const driver of ['better-sqlite3', 'node:sqlite'] as const) {
    const open = rawDriver(driver);
    if (open === undefined) {
      console.error(`${driver} does not load on Node ${process.version}: no ${driver} rows in this run.`);
      continue;
    }
    for (const synchronous of ['NORMAL', 'FULL'] as const) {
      const rawName = `raw ${driver} insert commit (${synchronous})`;
      const eventRow = `  for scale: raw ${driver === 'better-sqlite3' ? '' : `${driver} `}insert of the event row (${synchronous})`;
      const round = (name: string, callers: number, cacheSize?: number) => ({
        name: onDriver(driver, name),
        raw: rawName,
        eventRow,
        run: () => twofold(dir, driver, synchronous, cacheSize === undefined ? { callers } : { callers, cacheSize }),
      });
      results.push({ name: rawName, rate: await raw(dir, open, synchronous) });
      results.push({ name: eventRow, rate: await rawEventRow(dir, open, synchronous) });
      for (const { run, ...row } of [
        round(`Twofold round trip, sequential (${synchronous})`, 1),
        round(`Twofold round trip, ${CONCURRENCY} callers (${synchronous})`, CONCURRENCY),
        round(`  without the state cache, sequential (${synchronous})`, 1, 0),
        round(`  without the state cache, ${CONCURRENCY} callers (${synchronous})`, CONCURRENCY, 0),
      ]) {
        results.push({ ...row, rate: await run() });
      }
    }
  }
  if (make !== undefined) {
    results.push({ name: 'Emmett SQLite round trip, sequential (FULL)', rate: await emmett(make, dir, 1) });
    // Emmett 0.38.5 opens a connection per call: with concurrent callers it fails with SQLITE_BUSY, and its
    // rollback then throws SQLITE_MISUSE outside any promise, which ends the process. So no concurrent row.
    results.push({ name: `Emmett SQLite round trip, ${CONCURRENCY} callers (FULL)`, rate: undefined });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const find = (name: string | undefined) => results.find((r) => r.name === name)?.rate;
console.log(
  `Write-model round trips on SQLite (WAL; synchronous as named), Node ${process.version}, ${SECONDS} s per case, ${STREAMS} streams`,
);
console.log('case'.padEnd(62), 'ops/s'.padStart(9), '  ÷ raw', '  ÷ Emmett', '  ÷ event row');
for (const { name, rate: r, raw: rawName, eventRow } of results) {
  const sync = name.includes('FULL') ? 'FULL' : 'NORMAL';
  const rawRate = find(rawName);
  // Emmett sets WAL and keeps SQLite's default synchronous (FULL), so it is compared with the FULL rows; it runs
  // sequentially only (see above), so the concurrent Twofold row is divided by its sequential rate too.
  const emmettRate = find('Emmett SQLite round trip, sequential (FULL)');
  const eventRowRate = find(eventRow);
  const twofoldRow = rawName !== undefined;
  console.log(
    name.padEnd(62),
    (r === undefined ? 'fails' : r.toFixed(0)).padStart(9),
    twofoldRow && r && rawRate ? `${(r / rawRate).toFixed(2)}×`.padStart(7) : ''.padStart(7),
    twofoldRow && sync === 'FULL' && r && emmettRate ? `${(r / emmettRate).toFixed(2)}×`.padStart(10) : ''.padStart(10),
    twofoldRow && r && eventRowRate ? `${(r / eventRowRate).toFixed(2)}×`.padStart(13) : '',
  );
}
