import type { SqliteConnection } from '../src/driver/connection.js';
import { openConnection } from '../src/driver/open-connection.js';

/**
 * A connection of the test's own to a database file, beside the stores': opened with the driver the stores use in
 * this test project, since two SQLite libraries in one process do not see each other's locks.
 */
export function rawDatabase(path: string): SqliteConnection {
  return openConnection(path, undefined, 'test');
}

/** The value of a pragma, e.g. `pragma(db, 'journal_mode')` → `'wal'`. */
export function pragma(db: SqliteConnection, name: string): unknown {
  return db.prepare(`PRAGMA ${name}`).pluck().get();
}
