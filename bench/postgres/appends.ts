// Phase 1: command round trips per second with 1, 8 and 32 concurrent writers. Every command writes one event to
// a stream of its own, so that writers never conflict: Twofold through its write model (load, decide, append with
// the expected version), Emmett through its CommandHandler (aggregateStream, decide, appendToStream), and the raw
// limit as one single-row INSERT per transaction, without and with a pg_notify in it.
import {
  createMediator,
  DomainError,
  defineCommand,
  defineDecider,
  defineEvent,
  streamId,
  writeModels,
} from '@twofold/core';
import { postgres } from '@twofold/postgres';
import type { PostgresServer } from '@twofold/test-servers';
import pg from 'pg';
import { z } from 'zod';
import type { Emmett } from './emmett.js';

export const Deposit = defineCommand('bank.Deposit', z.object({ account: z.string(), amount: z.number().positive() }));
export const Deposited = defineEvent('bank.Deposited', z.object({ account: z.string(), amount: z.number() }));
export const account = defineDecider({
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

/** Connections in every contender's pool: enough for 32 writers, the same for all. */
export const POOL = 40;

/** What one contender did at one concurrency: its rate, and the commands it completed (warm-up included). */
export interface Measured {
  readonly rate: number;
  readonly commands: number;
}

/** Runs `op` from `writers` concurrent loops for `seconds` and returns operations per second. */
async function rate(writers: number, seconds: number, op: () => Promise<unknown>): Promise<Measured> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, loop));
  return { rate: done / ((performance.now() - started) / 1000), commands: done };
}

/** A warm-up of a quarter of the time, then the measured run; `commands` counts both. `op` gets a new number each call. */
async function warmThenMeasure(writers: number, seconds: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  const numbered = () => op(next++);
  const warm = await rate(writers, seconds / 4, numbered);
  const measured = await rate(writers, seconds, numbered);
  return { rate: measured.rate, commands: warm.commands + measured.commands };
}

/** Fails the bench when the table does not hold one row per completed command. */
export function expectRows(what: string, rows: number, expected: number): void {
  if (rows !== expected) throw new Error(`${what}: ${rows} rows after ${expected} commands`);
}

let cases = 0;
/** A fresh table, schema or database name for each case, so that every case starts empty. */
const unique = (base: string) => `${base}_${++cases}`;

async function count(pool: pg.Pool, sql: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

/**
 * What one operation is: `append` writes one event to a new stream, expecting it not to exist (the store alone);
 * `command` is a whole round trip through the write model (load the stream, decide, append).
 */
export type Mode = 'append' | 'command';

async function twofoldAppends(server: PostgresServer, writers: number, seconds: number, mode: Mode): Promise<Measured> {
  const schema = unique('bench_appends');
  const db = await postgres({ connection: server.url, schema, maxConnections: POOL });
  const store = db.events;
  const mediator = createMediator().command(
    Deposit,
    writeModels({ store }).eventSourced(account, { stream: ({ data }) => streamId('account', data.account) }),
  );
  const op =
    mode === 'command'
      ? (i: number) => mediator.send(Deposit, { account: `a${i}`, amount: 1 })
      : (i: number) =>
          store.append(
            streamId('account', `a${i}`),
            [{ type: Deposited.type, data: { account: `a${i}`, amount: 1 } }],
            {
              expectedVersion: 'no-stream',
            },
          );
  let measured: Measured;
  try {
    measured = await warmThenMeasure(writers, seconds, op);
  } finally {
    await db.close();
  }
  const check = new pg.Pool({ connectionString: server.url, max: 1 });
  try {
    expectRows(
      `Twofold, ${writers} writers`,
      await count(check, `SELECT count(*) AS n FROM ${schema}.twofold_events`),
      measured.commands,
    );
  } finally {
    await check.end();
  }
  return measured;
}

async function emmettAppends(
  emmett: Emmett,
  server: PostgresServer,
  writers: number,
  seconds: number,
  mode: Mode,
): Promise<Measured> {
  // Emmett keeps its tables in the public schema: a database per case keeps the cases apart.
  const database = unique('emmett_appends');
  const admin = new pg.Pool({ connectionString: server.url, max: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  const { store, close } = emmett.open(server.urlFor(database), POOL);
  let measured: Measured;
  try {
    measured = await warmThenMeasure(writers, seconds, (i) =>
      mode === 'command'
        ? emmett.deposit(store, `account-a${i}`, 1)
        : store.appendToStream(`account-a${i}`, [{ type: Deposited.type, data: { account: `a${i}`, amount: 1 } }], {
            expectedStreamVersion: 'STREAM_DOES_NOT_EXIST',
          }),
    );
  } finally {
    await close();
    await admin.end();
  }
  const check = new pg.Pool({ connectionString: server.urlFor(database), max: 1 });
  try {
    expectRows(
      `Emmett, ${writers} writers`,
      await count(check, 'SELECT count(*) AS n FROM emt_messages'),
      measured.commands,
    );
  } finally {
    await check.end();
  }
  return measured;
}

/**
 * The raw limit: one single-row INSERT per transaction (autocommit). With `notify`, the same statement also calls
 * pg_notify, as a store that wakes its readers from the writing transaction does: PostgreSQL then serializes the
 * commits of the notifying transactions, so this row shows what NOTIFY alone costs.
 */
async function rawAppends(
  server: PostgresServer,
  writers: number,
  seconds: number,
  notify: boolean,
): Promise<Measured> {
  const table = unique(notify ? 'raw_appends_notify' : 'raw_appends');
  const pool = new pg.Pool({ connectionString: server.url, max: POOL });
  try {
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, stream_id text NOT NULL, data jsonb NOT NULL)`);
    const insert = `INSERT INTO ${table} (stream_id, data) VALUES ($1, $2)`;
    const sql = notify
      ? `WITH inserted AS (${insert} RETURNING id) SELECT pg_notify('${table}', id::text) FROM inserted`
      : insert;
    const measured = await warmThenMeasure(writers, seconds, (i) =>
      pool.query(sql, [`account-a${i}`, JSON.stringify({ account: `a${i}`, amount: 1 })]),
    );
    expectRows(`${table}`, await count(pool, `SELECT count(*) AS n FROM ${table}`), measured.commands);
    return measured;
  } finally {
    await pool.end();
  }
}

/** The best rate of each contender at one concurrency, over the rounds. */
export interface AppendRow {
  readonly writers: number;
  readonly raw: number;
  readonly notify: number;
  readonly twofold: number;
  readonly emmett?: number;
}

/**
 * Runs every contender at every concurrency, `rounds` times, each round in the reverse order of the one before,
 * and keeps each one's best rate: on a shared machine the best of a few short runs is the steadiest figure.
 */
export async function measureAppends(options: {
  readonly server: PostgresServer;
  readonly emmett: Emmett | undefined;
  readonly writers: readonly number[];
  readonly seconds: number;
  readonly rounds: number;
  readonly mode: Mode;
}): Promise<AppendRow[]> {
  const { server, emmett, seconds, mode } = options;
  type Name = 'raw' | 'notify' | 'twofold' | 'emmett';
  const contenders: [Name, (writers: number) => Promise<Measured>][] = [
    ['raw', (writers) => rawAppends(server, writers, seconds, false)],
    ['notify', (writers) => rawAppends(server, writers, seconds, true)],
    ['twofold', (writers) => twofoldAppends(server, writers, seconds, mode)],
  ];
  if (emmett !== undefined) {
    contenders.push(['emmett', (writers) => emmettAppends(emmett, server, writers, seconds, mode)]);
  }
  const best = new Map<string, number>();
  for (let round = 0; round < options.rounds; round++) {
    for (const writers of options.writers) {
      for (const [name, run] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const { rate } = await run(writers);
        const key = `${name} ${writers}`;
        best.set(key, Math.max(best.get(key) ?? 0, rate));
      }
    }
  }
  return options.writers.map((writers) => {
    const of = (name: Name) => best.get(`${name} ${writers}`);
    const row = { writers, raw: of('raw')!, notify: of('notify')!, twofold: of('twofold')! };
    const e = of('emmett');
    return e === undefined ? row : { ...row, emmett: e };
  });
}
