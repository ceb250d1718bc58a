// Each filter the hotel's queries and projections put on a read model is planned as an index read, on SQLite and
// PostgreSQL: the statements below are the ones the document stores run for `find({ field: value })`, and for the
// guest's bookings, a page by arrival that reads the index in order and sorts nothing.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app/server.js';

/** The read model, collection and field of every `find` the hotel runs. */
const FILTERS = [
  { projection: 'availability', collection: 'nights', field: 'date', value: '2030-03-01' },
  { projection: 'availability', collection: 'nights', field: 'bookingId', value: 'b1' },
] as const;

// A page of a guest's bookings by arrival, as the stores spell it: the order keys of core's document order.
const SQLITE_PAGE = `WHERE document -> '$.guestId' = ? ORDER BY coalesce(document ->> '$.from', -9e999), id LIMIT 21`;
const FROM = "(data -> 'from')";
const PG_PAGE = `AND data -> 'guestId' = $3::jsonb ORDER BY
  (CASE jsonb_typeof(${FROM}) WHEN 'number' THEN (${FROM})::float8 WHEN 'string' THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END),
  ((CASE jsonb_typeof(${FROM}) WHEN 'number' THEN '' ELSE coalesce(${FROM} #>> '{}', '') END) COLLATE "C"), id LIMIT 21`;

let postgres: PostgresServer;
let dir: string;
beforeAll(async () => {
  postgres = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'hotel-indexes-'));
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the read models of the hotel', () => {
  it('are read by index on SQLite', async () => {
    const app = await createApp({ dataDir: dir });
    await app.close();
    const db = new Database(join(dir, 'hotel-reads.db'), { readonly: true });
    try {
      for (const { projection, collection, field, value } of FILTERS) {
        const version = db
          .prepare<[string], { version: number }>('SELECT version FROM twofold_projection_active WHERE projection = ?')
          .get(projection)?.version;
        const table = `"twofold_doc:${projection}@${version}:${collection}"`;
        const plan = db
          .prepare<[string], { detail: string }>(
            `EXPLAIN QUERY PLAN SELECT id, document FROM ${table} WHERE document -> '$.${field}' = ? ORDER BY id`,
          )
          .all(JSON.stringify(value))
          .map((row) => row.detail)
          .join('; ');
        expect(plan, `${collection}.${field}`).toMatch(/^SEARCH .* USING INDEX /);
        expect(plan, `${collection}.${field}`).not.toMatch(/\bSCAN\b/);
      }
      const version = db
        .prepare('SELECT version FROM twofold_projection_active WHERE projection = ?')
        .pluck()
        .get('bookings');
      const page = db
        .prepare<[string], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT id, document FROM "twofold_doc:bookings@${version}:bookings" ${SQLITE_PAGE}`,
        )
        .all('"ada"')
        .map((row) => row.detail)
        .join('; ');
      expect(page).toMatch(/^SEARCH .* USING INDEX .*order:from/);
      expect(page).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('are read by index on PostgreSQL', async () => {
    const app = await createApp({ postgres: { url: postgres.url, schema: 'hotel' } });
    await app.close();
    const client = new pg.Client({ connectionString: postgres.url, options: '-c search_path=hotel' });
    await client.connect();
    try {
      await client.query('BEGIN');
      // As on a large table, where a sequential scan would cost what it costs.
      await client.query('SET LOCAL enable_seqscan = off');
      for (const { projection, collection, field, value } of FILTERS) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT data FROM twofold_documents
           WHERE projection = $1 AND version = (SELECT version FROM twofold_projection_active WHERE projection = $1)
             AND collection = $2 AND data -> $3 = $4::jsonb ORDER BY id`,
          [projection, collection, field, JSON.stringify(value)],
        );
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(plan, `${collection}.${field}`).toMatch(/Index Scan using twofold_documents_[0-9a-f]{24}/);
        expect(plan, `${collection}.${field}`).not.toMatch(/Seq Scan/);
      }
      await client.query('SET LOCAL enable_sort = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id, data FROM twofold_documents
         WHERE projection = $1 AND version = (SELECT version FROM twofold_projection_active WHERE projection = $1)
           AND collection = $2 ${PG_PAGE}`,
        ['bookings', 'bookings', JSON.stringify('ada')],
      );
      const page = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(page).toMatch(/Index Scan using twofold_documents_[0-9a-f]{24}/);
      expect(page).not.toMatch(/Sort|Seq Scan/);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });
});
