import type { DeadLetter } from '@twofold/core';
import { subscriptionStoresContract } from '@twofold/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { migrate } from '../connection/migrations.js';
import { SchemaPool } from '../connection/schema-pool.js';
import { postgres } from '../index.js';
import { subscriptionMigrations } from './schema.js';
import { pageQuery } from './stores.js';

const server = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
subscriptionStoresContract('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  const schema = server.schema();
  return {
    open: async () => {
      const db = await postgres({ connection: server.url, schema });
      return { checkpoints: db.checkpoints, deadLetters: db.deadLetters, close: () => db.close() };
    },
    // The subscriber reads the PostgreSQL log itself, whose positions have gaps.
    log: async () => {
      const db = await postgres({ connection: server.url, schema });
      closers.push(() => db.close());
      return db.events;
    },
  };
});

describe('PostgresDeadLetterStore', () => {
  it('reads a page of dead letters from an index in their order, every subscriber’s or one’s, without sorting them', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    for (let n = 0; n < 200; n++) {
      await db.deadLetters.add({
        id: `d${n}`,
        subscriber: `s${n % 10}`,
        event: { position: n } as DeadLetter['event'],
        error: 'Error',
        attempts: 1,
        at: n % 7,
      });
    }
    const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query('ANALYZE twofold_dead_letters');
      // A few rows cost little to sort: with sorting and other scans priced out, a plan without a Sort node is one
      // an index serves in order.
      await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off');
      for (const [subscriber, after, index] of [
        [undefined, undefined, 'twofold_dead_letters_at'],
        [undefined, { at: 3, id: 'd10' }, 'twofold_dead_letters_at'],
        ['s1', undefined, 'twofold_dead_letters_subscriber_at'],
        ['s1', { at: 3, id: 'd10' }, 'twofold_dead_letters_subscriber_at'],
      ] as const) {
        const [sql, params] = pageQuery(subscriber, { after, limit: 20 });
        const { rows } = await client.query(`EXPLAIN ${sql}`, params);
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(plan, plan).toContain(`Index Scan using ${index} `);
        expect(plan, plan).not.toContain('Sort');
      }
    } finally {
      await client.end();
    }
  });

  it('pages the dead letters a schema parked before their ids were compared code point by code point', async () => {
    const schema = server.schema();
    const pool = new SchemaPool({ connection: server.url, schema }, 'test');
    try {
      await migrate(pool, 'subscriptions', subscriptionMigrations.slice(0, 1));
      // As in a database whose collation is a language's (this test server's is "C"), where 'b' comes before 'B'.
      await pool.query('ALTER TABLE twofold_dead_letters ALTER COLUMN id TYPE text COLLATE "und-x-icu"');
      for (const id of ['b', 'a_1', 'B', 'a-1', '\u00e9']) {
        await pool.query(
          `INSERT INTO twofold_dead_letters (id, subscriber, position, event, error, attempts, at)
           VALUES ($1, 'emails', 1, '{"position":1}', 'Error', 1, 10)`,
          [id],
        );
      }
      const db = await server.database({ schema });
      const ids = async (page: Parameters<typeof db.deadLetters.list>[1]) =>
        (await db.deadLetters.list('emails', page)).map((letter) => letter.id);
      expect(await ids({ limit: 3 })).toEqual(['B', 'a-1', 'a_1']);
      expect(await ids({ after: { at: 10, id: 'a_1' } })).toEqual(['b', '\u00e9']);
    } finally {
      await pool.end();
    }
  });
});
