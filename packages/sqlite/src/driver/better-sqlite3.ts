import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteConnection, SqliteStatement, SqliteTransaction } from './connection.js';

/** The better-sqlite3 constructor. */
export type BetterSqlite3Module = new (path: string) => BetterSqlite3.Database;

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
  readonly #db: BetterSqlite3.Database;

  constructor(Database: BetterSqlite3Module, path: string) {
    this.#db = new Database(path);
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
    return this.#db.prepare<P, R>(sql);
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(work: F): SqliteTransaction<F> {
    return this.#db.transaction(work as unknown as (...args: unknown[]) => unknown) as unknown as SqliteTransaction<F>;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
