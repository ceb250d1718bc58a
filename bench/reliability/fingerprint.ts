// A digest of the hotel's write side (events, states, idempotency records, snapshots, and on SQLite everything
// else in the write file but the machinery that moves on its own: the command queue, the process managers'
// instances and checkpoints, which move past every event, the outbox and the inbox; of the events and idempotency
// records, those of commands with a principal, leaving out what process managers commit in the background):
// equal digests before and after a request mean the request committed nothing.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { StoresConfig } from '../../examples/hotel/src/app/stores.js';

/** Reads the digest; close it when done. */
export interface WriteSide {
  digest(): Promise<string>;
  close(): Promise<void>;
}

// The PostgreSQL write store's own tables; the read models share the schema and move on their own.
const POSTGRES_WRITE_TABLES = [
  'twofold_events',
  'twofold_streams',
  'twofold_states',
  'twofold_idempotency',
  'twofold_snapshots',
];

// The machinery that moves on its own, and the counters and inline checkpoints every background commit moves too.
const BACKGROUND = /^(twofold_(commands|process_.+|outbox|inbox|projection_slots)|sqlite_sequence)$/;

// The events and idempotency records of commands with a principal: what process managers commit in the background
// (their commands run by the worker with no principal) goes on after the request that started it was answered.
const SQLITE_OWN: Readonly<Record<string, string>> = {
  twofold_events: `WHERE json_extract(metadata, '$.principal') IS NOT NULL`,
  twofold_idempotency: `WHERE position IS NULL OR position IN (SELECT position FROM twofold_events WHERE json_extract(metadata, '$.principal') IS NOT NULL)`,
};

/**
 * Opens a second connection to the hotel's write side, read-only where the store allows.
 *
 * @example
 * const writes = await openWriteSide(target.config);
 * const before = await writes.digest();
 */
export async function openWriteSide(config: StoresConfig): Promise<WriteSide> {
  if (config.postgres !== undefined) {
    const { url, schema = 'public' } = config.postgres;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2) ORDER BY 1',
      [schema, POSTGRES_WRITE_TABLES],
    );
    if (!rows.some((row) => row.name === 'twofold_events')) throw new Error(`No event log in schema ${schema}`);
    // What the app's background processes commit (a process manager's commands, run by the worker with no
    // principal) goes on after the request that started it has been answered; it is left out, as on SQLite.
    const own: Record<string, string> = {
      twofold_events: `WHERE (t.metadata::jsonb) ? 'principal'`,
      twofold_idempotency: `WHERE t.position IS NULL OR t.position IN (SELECT position FROM "${schema}".twofold_events WHERE (metadata::jsonb) ? 'principal')`,
    };
    const sql = rows
      .map(
        ({ name }) =>
          `SELECT '${name}' AS name, count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM "${schema}"."${name}" t ${own[name] ?? ''}`,
      )
      .join(' UNION ALL ');
    return {
      digest: async () => {
        const result = await client.query<{ name: string; digest: string }>(sql);
        return result.rows.map((row) => `${row.name}=${row.digest}`).join(' ');
      },
      close: () => client.end(),
    };
  }
  if (config.dataDir === undefined) throw new Error('The fuzz needs the hotel on SQLite files or on PostgreSQL');
  const db = new Database(join(config.dataDir, 'hotel-writes.db'), { readonly: true, fileMustExist: true });
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .filter(({ name }) => !BACKGROUND.test(name))
    .map(({ name }) => ({
      name,
      rows: db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}" ${SQLITE_OWN[name] ?? ''}`),
    }));
  return {
    digest: async () => {
      const parts: string[] = [];
      for (const { name, rows } of tables) {
        const hash = createHash('sha1');
        let count = 0;
        for (const row of rows.iterate()) {
          hash.update(JSON.stringify(row));
          count++;
        }
        parts.push(`${name}=${count}:${hash.digest('hex')}`);
      }
      // A table created since the connection opened shows in the count.
      const now = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get();
      return `${parts.join(' ')} tables=${now?.n}`;
    },
    close: async () => {
      db.close();
    },
  };
}
