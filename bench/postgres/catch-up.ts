// Phase 2: catch-up. A log of `events` events is written in appends of 100 events (8 appends in flight), then one
// reader on a pool of its own reads it from the start to the head in batches of 1,000, as a catching-up
// subscriber does: Twofold's readAll, Emmett's readMessagesBatch (what its consumers pull with), and a raw keyset
// SELECT over a table with the same rows.
import { type NewEvent, START, streamId } from '@twofold/core';
import { PostgresStore } from '@twofold/postgres';
import type { PostgresServer } from '@twofold/test-servers';
import pg from 'pg';
import { Deposited, expectRows, POOL } from './appends.js';
import type { Emmett } from './emmett.js';

const PER_APPEND = 100;
const BATCH = 1000;
const SEEDERS = 8;

/** Events per second written (in appends of 100) and read back (in batches of 1,000). */
export interface CatchUp {
  readonly written: number;
  /** Distinct events per second. */
  readonly read: number;
  /** Events the reader got more than once. */
  readonly repeated: number;
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

/**
 * Fails the bench unless the reader saw every event, and (when `ordered`) each once in increasing positions.
 * Returns how many it saw more than once.
 */
function expectLog(what: string, positions: readonly number[], events: number, ordered: boolean): number {
  const distinct = new Set(positions).size;
  expectRows(`${what} catch-up`, distinct, events);
  if (!ordered) return positions.length - distinct;
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i]! > positions[i - 1]!))
      throw new Error(`${what} catch-up: position ${positions[i]} out of order`);
  }
  return 0;
}

export async function twofoldCatchUp(server: PostgresServer, events: number): Promise<CatchUp> {
  const options = { connection: server.url, schema: 'bench_catch_up' };
  const writer = await PostgresStore.open({ ...options, maxConnections: POOL });
  let seconds: number;
  try {
    seconds = await seed(events / PER_APPEND, (n) => {
      const batch: NewEvent[] = Array.from({ length: PER_APPEND }, () => ({ type: Deposited.type, data: payload(n) }));
      return writer.append(streamId('account', `c${n}`), batch, { expectedVersion: 0 });
    });
  } finally {
    await writer.close();
  }
  const reader = await PostgresStore.open({ ...options, maxConnections: 2 });
  try {
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
    const repeated = expectLog('Twofold', positions, events, true);
    return { written: events / seconds, read, repeated };
  } finally {
    await reader.close();
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
    const read = events / ((performance.now() - started) / 1000);
    // Emmett orders a batch by transaction id but resumes from the last global position, so commits that
    // finished out of position order come again in the next batch: counted, not a failure.
    const repeated = expectLog('Emmett', positions, events, false);
    return { written: events / seconds, read, repeated };
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
    const repeated = expectLog('raw', positions, events, true);
    return { written: events / seconds, read, repeated };
  } finally {
    await reader.end();
  }
}
