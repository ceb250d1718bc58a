import { createRequire } from 'node:module';
import type { SqliteConnection, SqliteStatement, SqliteTransaction } from './connection.js';
import type { ValueRowsStatement } from './value-rows.js';

// The part of better-sqlite3 this file uses, declared here, so that the package's types need none of
// better-sqlite3's: its statements and transaction functions already have the shape of ours.
interface Database {
  readonly name: string;
  readonly memory: boolean;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement & { raw(on?: boolean): unknown };
  exec(sql: string): unknown;
  transaction(work: (...args: never[]) => unknown): unknown;
  close(): unknown;
}

/** The better-sqlite3 constructor. */
export type BetterSqlite3Module = new (path: string) => Database;

/** Why better-sqlite3 could not be loaded. */
export type BetterSqlite3Failure = { readonly missing: boolean; readonly error: unknown };

/**
 * better-sqlite3, loaded on first use only (it is an optional peer dependency), or why it could not be: not
 * installed, or built for another Node version. `from` is the module that looks for it (this one).
 */
export function loadBetterSqlite3(from: string = import.meta.url): BetterSqlite3Module | BetterSqlite3Failure {
  try {
    // Loading the module does not load its native binding; opening a database does, so probe one.
    const Database = createRequire(from)('better-sqlite3') as BetterSqlite3Module;
    new Database(':memory:').close();
    return Database;
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
    return { missing, error };
  }
}

/** The path of better-sqlite3's entry module, which the checkpointer's worker thread loads. */
export function betterSqlite3Entry(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/**
 * A connection opened with better-sqlite3. Its statements and transaction functions are better-sqlite3's own,
 * which already have the shape of {@link SqliteStatement} and {@link SqliteTransaction}.
 */
export class BetterSqlite3Connection implements SqliteConnection {
  readonly driver = 'better-sqlite3';
  readonly #db: Database;
  readonly #closed: () => void;

  /** Opens `path`; `closed` runs once, when the connection closes. */
  constructor(Database: BetterSqlite3Module, path: string, closed: () => void = () => undefined) {
    this.#db = new Database(path);
    this.#closed = closed;
  }

  get name(): string {
    return this.#db.name;
  }

  get memory(): boolean {
    return this.#db.memory;
  }

  get open(): boolean {
    return this.#db.open;
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> {
    return this.#db.prepare(sql) as SqliteStatement<P, R>;
  }

  /** A statement whose rows are arrays of their column values: see {@link prepareValueRows}. */
  prepareValueRows<P extends unknown[]>(sql: string): ValueRowsStatement<P> {
    const statement = this.#db.prepare(sql);
    statement.raw(true);
    return statement as unknown as ValueRowsStatement<P>;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(work: F): SqliteTransaction<F> {
    return this.#db.transaction(work) as SqliteTransaction<F>;
  }

  close(): void {
    if (!this.#db.open) return;
    this.#db.close();
    this.#closed();
  }
}
