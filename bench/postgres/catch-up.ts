// Phase 2: catch-up. A log of `events` events is written in appends of 100 events (8 appends in flight), then one
// reader on a pool of its own reads it from the start to the head in batches of 1,000, as a catching-up
// subscriber does: Twofold's readAll, Emmett's readMessagesBatch (what its consumers pull with), and a raw keyset
// SELECT over a table with the same rows.
import { type NewEvent, START, streamId } from '@twofold/core';
import { type PostgresStore, postgres } from '@twofold/postgres';
import type { PostgresServer } from '@twofold/test-servers';
import pg from 'pg';
import { Deposited, expectRows, POOL } from './appends.js';
import type { Emmett } from './emmett.js';

const PER_APPEND = 100;
const BATCH = 1000;
const SEEDERS = 8;

/** Events per second written (in appends of 100) and read back (in batches of 1,000), and what the reader got wrong. */
export interface CatchUp {
  readonly written: number;
  /** Distinct events delivered per second. */
  readonly read: number;
  /** Deliveries of an event the reader already had. */
  readonly repeated: number;
  /** Events in the log that the reader never got. */
  readonly missed: number;
}

/** Runs `append(n)` for every n below `count`, `SEEDERS` at a time, and returns the seconds it took. */
async function seed(count: number, append: (n: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SEEDERS }, async () => {
      while (next < count) await append(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

const payload = (n: number) => ({ account: `c${n}`, amount: 1 });

/** Fails the bench unless the reader saw each of the log's `events` events once, in increasing positions. */
function expectLog(what: string, positions: readonly number[], events: number): void {
  expectRows(`${what} catch-up`, positions.length, events);
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i]! > positions[i - 1]!))
      throw new Error(`${what} catch-up: position ${positions[i]} out of order`);
  }
}

/** Reads the whole log through `readAll` and returns distinct events per second, after checking it. */
async function readTwofold(reader: PostgresStore, events: number): Promise<number> {
  const positions: number[] = [];
  const started = performance.now();
  const head = await reader.head();
  for (let after = START; after < head; ) {
    const batch = await reader.readAll(after, BATCH);
    if (batch.length === 0) throw new Error(`Twofold catch-up: nothing after ${after}, below the head ${head}`);
    for (const event of batch) positions.push(event.position);
    after = batch.at(-1)!.position;
  }
  const read = events / ((performance.now() - started) / 1000);
  expectLog('Twofold', positions, events);
  return read;
}

/**
 * Twofold's catch-up, read twice: first as written, when PostgreSQL has no statistics on the new rows yet (as
 * right after a bulk load or an import), then after ANALYZE, as once autovacuum has been by.
 */
export async function twofoldCatchUp(
  server: PostgresServer,
  events: number,
): Promise<CatchUp & { readonly readAnalyzed: number }> {
  const options = { connection: server.url, schema: 'bench_catch_up' };
  const writing = await postgres({ ...options, maxConnections: POOL });
  const writer = writing.events;
  let seconds: number;
  try {
    seconds = await seed(events / PER_APPEND, (n) => {
      const batch: NewEvent[] = Array.from({ length: PER_APPEND }, () => ({ type: Deposited.type, data: payload(n) }));
      return writer.append(streamId('account', `c${n}`), batch, { expectedVersion: 0 });
    });
  } finally {
    await writing.close();
  }
  // Another handle, with a pool of its own, as another node would have.
  const reading = await postgres({ ...options, maxConnections: 2 });
  const reader = reading.events;
  const admin = new pg.Pool({ connectionString: server.url, max: 1 });
  try {
    const read = await readTwofold(reader, events);
    await admin.query(`ANALYZE ${options.schema}.twofold_events`);
    const readAnalyzed = await readTwofold(reader, events);
    return { written: events / seconds, read, readAnalyzed, repeated: 0, missed: 0 };
  } finally {
    await admin.end();
    await reading.close();
  }
}

export async function emmettCatchUp(emmett: Emmett, server: PostgresServer, events: number): Promise<CatchUp> {
  const admin = new pg.Pool({ connectionString: server.url, max: 1 });
  await admin.query('CREATE DATABASE emmett_catch_up').finally(() => admin.end());
  const url = server.urlFor('emmett_catch_up');
  const { store, close } = emmett.open(url, POOL);
  let seconds: number;
  try {
    seconds = await seed(events / PER_APPEND, (n) => {
      const batch = Array.from({ length: PER_APPEND }, () => ({ type: Deposited.type, data: payload(n) }));
      return store.appendToStream(`account-c${n}`, batch, { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' });
    });
  } finally {
    await close();
  }
  const reader = emmett.reader(url);
  try {
    const positions: number[] = [];
    const started = performance.now();
    for (let after = 0n; ; ) {
      const batch = await reader.read(after, BATCH);
      for (const message of batch.messages) positions.push(Number(message.metadata.globalPosition));
      after = batch.currentGlobalPosition;
      if (!batch.areMessagesLeft) break;
    }
    const distinct = new Set(positions).size;
    const read = distinct / ((performance.now() - started) / 1000);
    // Emmett orders a batch by transaction id but resumes after the global position of its last event. When
    // concurrent appends took positions out of transaction order, the next batch repeats some events and skips
    // others; its consumers pull the same way. That is reported, not failed; the log itself must be whole.
    const check = new pg.Pool({ connectionString: url, max: 1 });
    const { rows } = await check
      .query<{ n: string }>('SELECT count(*) AS n FROM emt_messages')
      .finally(() => check.end());
    expectRows('Emmett catch-up log', Number(rows[0]?.n), events);
    return { written: events / seconds, read, repeated: positions.length - distinct, missed: events - distinct };
  } finally {
    await reader.close();
  }
}

export async function rawCatchUp(server: PostgresServer, events: number): Promise<CatchUp> {
  const pool = new pg.Pool({ connectionString: server.url, max: POOL });
  let seconds: number;
  try {
    await pool.query(
      'CREATE TABLE raw_catch_up (id bigserial PRIMARY KEY, stream_id text NOT NULL, data jsonb NOT NULL)',
    );
    seconds = await seed(events / PER_APPEND, (n) =>
      pool.query('INSERT INTO raw_catch_up (stream_id, data) SELECT $1, d FROM unnest($2::jsonb[]) AS d', [
        `account-c${n}`,
        Array.from({ length: PER_APPEND }, () => JSON.stringify(payload(n))),
      ]),
    );
  } finally {
    await pool.end();
  }
  const reader = new pg.Pool({ connectionString: server.url, max: 2 });
  try {
    const positions: number[] = [];
    const started = performance.now();
    for (let after = 0; ; ) {
      const { rows } = await reader.query<{ id: string; stream_id: string; data: unknown }>(
        'SELECT id, stream_id, data FROM raw_catch_up WHERE id > $1 ORDER BY id LIMIT $2',
        [after, BATCH],
      );
      for (const row of rows) positions.push(Number(row.id));
      if (rows.length < BATCH) break;
      after = positions.at(-1)!;
    }
    const read = events / ((performance.now() - started) / 1000);
    expectLog('raw', positions, events);
    return { written: events / seconds, read, repeated: 0, missed: 0 };
  } finally {
    await reader.end();
  }
}
