/**
 * The SQLite drivers Twofold runs on: Node's built-in `node:sqlite` (Node 22.13 and later, nothing to compile) and
 * better-sqlite3 (an optional peer dependency, for Node 20 or by choice).
 *
 * @example
 * const driver: SqliteDriverName = 'better-sqlite3';
 */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** What a statement that writes reports: the rows it changed and the rowid of the last row it inserted. */
export interface SqliteRunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. Parameters are positional (`?`, one argument each) or named (`@name`, `:name` or
 * `$name`, bound from one object whose keys are the names without the prefix); an array is one value, not a list.
 * Rows are plain objects keyed by column name, or after `pluck()` the first column alone.
 *
 * @example
 * const nights = db.prepare<[string], string>('SELECT night FROM nights WHERE room_id = ?').pluck().all('101');
 */
export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  /** Runs a statement that returns no rows (or ignores them). */
  run(...params: P): SqliteRunResult;
  /** The first row, or `undefined` when there is none. */
  get(...params: P): R | undefined;
  /** Every row. */
  all(...params: P): R[];
  /** The rows one at a time; finish or `return()` the iterator before running another statement on it. */
  iterate(...params: P): IterableIterator<R>;
  /** From now on, returns the first column of each row instead of the row (`pluck(false)` turns it off). */
  pluck(on?: boolean): this;
}

/**
 * A function that runs its work in a transaction: `BEGIN` (or `SAVEPOINT` when a transaction is already open),
 * then `COMMIT` (or `RELEASE`), or a rollback and the error rethrown. `immediate` takes the write lock at `BEGIN`.
 * The work must be synchronous: an SQLite transaction cannot wait for a promise.
 *
 * @typeParam F - the work's own signature, which the transaction function keeps
 */
export type SqliteTransaction<F extends (...args: never[]) => unknown> = F & { readonly immediate: F };

/**
 * One SQLite connection, whichever driver opened it: what the stores run their SQL on, and what a unit-of-work
 * participant, an inline projection or a `SqliteTableStore` projection gets inside the store's transaction.
 *
 * @example
 * tables.define('roomNights', (db, table) =>
 *   db.exec(`CREATE TABLE ${table('nights')} (room_id TEXT, night TEXT, PRIMARY KEY (room_id, night))`));
 */
export interface SqliteConnection {
  /** The driver that opened the connection. */
  readonly driver: SqliteDriverName;
  /** The database file as given when opening (`':memory:'` for an in-memory database). */
  readonly name: string;
  /** True for an in-memory database. */
  readonly memory: boolean;
  /** False once closed. */
  readonly open: boolean;
  /** True while a transaction is open (SQLite may end one itself, on `ON CONFLICT ROLLBACK` or an I/O error). */
  readonly inTransaction: boolean;
  /** Compiles one SQL statement; `P` types its parameters and `R` its rows. */
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  /** Runs one or more SQL statements, separated by semicolons, ignoring their rows (`PRAGMA`s included). */
  exec(sql: string): void;
  /**
   * Wraps `work` in a transaction; see {@link SqliteTransaction}.
   *
   * @typeParam F - the work's own signature, which the transaction function keeps
   */
  transaction<F extends (...args: never[]) => unknown>(work: F): SqliteTransaction<F>;
  /** Closes the connection; closing twice is harmless. */
  close(): void;
}
