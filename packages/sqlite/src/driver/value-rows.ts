import { BetterSqlite3Connection } from './better-sqlite3.js';
import type { SqliteConnection } from './connection.js';

/** A SELECT whose rows are arrays of their column values, in the order the SELECT names the columns. */
export interface ValueRowsStatement<P extends unknown[]> {
  all(...params: P): unknown[][];
}

/**
 * Prepares a SELECT whose rows come back as arrays of column values, for reads made by the thousand (a catch-up's
 * events), where the driver builds those faster than rows keyed by column name: better-sqlite3 names each value of
 * a row object through a slow call, and builds an array several times faster. Undefined on node:sqlite, whose
 * row objects cost no more than arrays.
 */
export function prepareValueRows<P extends unknown[]>(
  db: SqliteConnection,
  sql: string,
): ValueRowsStatement<P> | undefined {
  return db instanceof BetterSqlite3Connection ? db.prepareValueRows<P>(sql) : undefined;
}
