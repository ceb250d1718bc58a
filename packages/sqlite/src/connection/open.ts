import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@twofold/core';
import type { SqliteConnection, SqliteDriverName } from '../driver/connection.js';
import { checkDriver, openConnection } from '../driver/open-connection.js';
import { checkpointer, SAFETY_NET_PAGES } from './checkpointer.js';

/**
 * The connection of a {@link SqliteDatabase}, whichever driver opened it: what a unit-of-work participant, an
 * inline projection or a table store projection gets to run SQL inside the handle's transaction.
 */
export type { SqliteConnection };

/** How {@link sqlite} opens its file. */
export interface SqliteConnectionOptions {
  /** The database file, created with its folder when missing; `':memory:'` for a private in-memory database. */
  readonly path?: string;
  /**
   * `'NORMAL'` (the default) loses no data when the process crashes, and at worst the last commits when the
   * machine loses power. `'FULL'` also survives power loss, at a lower commit rate.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's transaction before failing with SQLITE_BUSY. Default: 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Where SQLite copies the write-ahead log back into the database file. `'background'` (the default): a worker
   * thread does it every 50 ms, so that commits neither pay for it nor stall the event loop; a commit checkpoints
   * only when the WAL reaches 10,000 pages, because the worker fell behind or stopped. `'inline'`: SQLite's own
   * automatic checkpoint, inside the commit that fills 1,000 pages. An in-memory database has no WAL.
   *
   * @example
   * sqlite({ path: 'data/hotel.db', checkpoint: 'inline' });
   */
  readonly checkpoint?: 'background' | 'inline';
  /**
   * The SQLite driver: `'node:sqlite'` (the default where Node has it, from Node 22.13: nothing to install or
   * compile) or `'better-sqlite3'` (the default on Node 20, and an optional peer dependency:
   * `npm install better-sqlite3`). A file open in the process with one driver cannot be opened with the other.
   *
   * @example
   * sqlite({ path: 'data/hotel.db', driver: 'better-sqlite3' });
   */
  readonly driver?: SqliteDriverName;
}

/** Opens a connection in WAL mode with the given durability; `defaultPath` when `options.path` is not given. */
export function openDatabase(options: SqliteConnectionOptions, defaultPath: string, owner: string): SqliteConnection {
  const path = options.path ?? defaultPath;
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError(`${owner}: options.path must be a file path or ':memory:'`);
  }
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new InvalidArgumentError(`${owner}: options.synchronous must be 'NORMAL' or 'FULL'`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidArgumentError(`${owner}: options.busyTimeoutMs must be an integer >= 0`);
  }
  const checkpoint = options.checkpoint ?? 'background';
  if (checkpoint !== 'background' && checkpoint !== 'inline') {
    throw new InvalidArgumentError(`${owner}: options.checkpoint must be 'background' or 'inline'`);
  }
  const driver = checkDriver(options.driver, owner);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = openConnection(path, driver, owner, busyTimeoutMs);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    db.exec('PRAGMA foreign_keys = ON');
    if (checkpoint === 'background' && !db.memory) {
      db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
      checkpointer.add(db);
    }
  } catch (error) {
    closeDatabase(db);
    throw error;
  }
  return db;
}

/** Closes a connection made by {@link openDatabase}, and the background checkpointer's. Closing twice is harmless. */
export function closeDatabase(db: SqliteConnection): void {
  checkpointer.remove(db);
  db.close();
}

/** Quotes an SQL identifier, so that any table name is safe to interpolate. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

type Run = <R>(work: () => R) => R;
// A transaction function prepares its BEGIN and COMMIT: make one per connection, not per call.
const transactions = new WeakMap<SqliteConnection, Run>();

/**
 * Runs `work` in one immediate transaction (the write lock is taken at BEGIN, so two processes never deadlock
 * upgrading a read to a write). `work` must be synchronous: an SQLite transaction cannot wait for a promise.
 */
export function inTransaction<R>(db: SqliteConnection, work: () => R, what: string): R {
  let run = transactions.get(db);
  if (run === undefined) {
    const transaction = db.transaction((inner: () => unknown) => inner());
    run = ((inner: () => unknown) => transaction.immediate(inner)) as Run;
    transactions.set(db, run);
  }
  return run(() => {
    const result = work();
    refusePromise(result, what);
    return result;
  });
}

/** Throws a clear error when a callback that runs inside a synchronous SQLite transaction returned a promise. */
export function refusePromise(value: unknown, what: string): void {
  if (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function') {
    // The promise is abandoned with the transaction; keep its eventual rejection from crashing the process.
    (value as PromiseLike<unknown>).then(undefined, () => undefined);
    throw new InvalidArgumentError(
      `${what} returned a promise: SQLite transactions are synchronous, so it must finish without awaiting`,
    );
  }
}
