import type { SqliteConnection, SqliteRunResult, SqliteStatement, SqliteTransaction } from './connection.js';

// The part of `node:sqlite` this file uses, declared here: the Node 20 type definitions the repository builds with
// have no `node:sqlite`, and the subset is the contract this driver relies on.
interface StatementSync {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  setAllowUnknownNamedParameters?(enabled: boolean): void;
}

interface DatabaseSync {
  readonly isOpen: boolean;
  // Node 22.16 and later; before, see #inTransaction.
  readonly isTransaction?: boolean | undefined;
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
}

/** The `node:sqlite` module, as far as opening a connection goes. */
export interface NodeSqliteModule {
  readonly DatabaseSync: new (path: string) => DatabaseSync;
}

/** The built-in `node:sqlite`, or `undefined` where this Node has none (Node 20, or 22 before 22.13). */
export function loadNodeSqlite(): NodeSqliteModule | undefined {
  try {
    return process.getBuiltinModule('node:sqlite') as NodeSqliteModule | undefined;
  } catch {
    return undefined;
  }
}

// Plucks the first column without building an array of the row's values.
function firstColumn(row: unknown): unknown {
  if (row === undefined) return undefined;
  for (const column in row as object) return (row as Record<string, unknown>)[column];
  return undefined;
}

class NodeSqliteStatement<P extends unknown[], R> implements SqliteStatement<P, R> {
  readonly #statement: StatementSync;
  #pluck = false;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    // As better-sqlite3 does: an object may carry more fields than the statement names.
    statement.setAllowUnknownNamedParameters?.(true);
  }

  run(...params: P): SqliteRunResult {
    return this.#statement.run(...params);
  }

  get(...params: P): R | undefined {
    const row = this.#statement.get(...params);
    return (this.#pluck ? firstColumn(row) : row) as R | undefined;
  }

  all(...params: P): R[] {
    const rows = this.#statement.all(...params);
    return (this.#pluck ? rows.map(firstColumn) : rows) as R[];
  }

  *iterate(...params: P): IterableIterator<R> {
    for (const row of this.#statement.iterate(...params)) yield (this.#pluck ? firstColumn(row) : row) as R;
  }

  pluck(on = true): this {
    this.#pluck = on;
    return this;
  }
}

/** The control statements of a transaction, prepared once per connection. */
interface Control {
  readonly begin: StatementSync;
  readonly beginImmediate: StatementSync;
  readonly commit: StatementSync;
  readonly rollback: StatementSync;
  readonly savepoint: StatementSync;
  readonly release: StatementSync;
  readonly rollbackTo: StatementSync;
}

/** A connection opened with Node's built-in `node:sqlite`. */
export class NodeSqliteConnection implements SqliteConnection {
  readonly driver = 'node:sqlite';
  readonly name: string;
  readonly memory: boolean;
  readonly #db: DatabaseSync;
  readonly #closed: () => void;
  #control: Control | undefined;

  /** Opens `path`; `closed` runs once, when the connection closes. */
  constructor(module: NodeSqliteModule, path: string, closed: () => void = () => undefined) {
    this.#db = new module.DatabaseSync(path);
    this.name = path;
    this.memory = path === ':memory:' || path === '';
    this.#closed = closed;
  }

  get open(): boolean {
    return this.#db.isOpen;
  }

  get inTransaction(): boolean {
    const known = this.#db.isTransaction;
    if (known !== undefined) return known;
    // Node before 22.16 does not say. BEGIN fails inside a transaction, and outside one starts a transaction that
    // is rolled back at once: either way nothing changes.
    try {
      this.#db.exec('BEGIN');
    } catch {
      return true;
    }
    this.#db.exec('ROLLBACK');
    return false;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> {
    return new NodeSqliteStatement<P, R>(this.#db.prepare(sql));
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(work: F): SqliteTransaction<F> {
    const run = (immediate: boolean) =>
      ((...args: Parameters<F>) => this.#inTransaction(immediate, () => work(...args))) as F;
    return Object.assign(run(false), { immediate: run(true) });
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#db.close();
    this.#closed();
  }

  // The same steps as better-sqlite3's transaction functions, so that both drivers nest and fail alike.
  #inTransaction<R>(immediate: boolean, work: () => R): R {
    const control = this.#statements();
    const nested = this.inTransaction;
    const [begin, end, undo] = nested
      ? [control.savepoint, control.release, control.rollbackTo]
      : [immediate ? control.beginImmediate : control.begin, control.commit, control.rollback];
    begin.run();
    try {
      const result = work();
      end.run();
      return result;
    } catch (error) {
      // SQLite may already have rolled the whole transaction back (ON CONFLICT ROLLBACK, an I/O error).
      if (this.inTransaction) {
        undo.run();
        if (nested) end.run();
      }
      throw error;
    }
  }

  #statements(): Control {
    if (this.#control === undefined) {
      const prepare = (sql: string) => this.#db.prepare(sql);
      this.#control = {
        begin: prepare('BEGIN'),
        beginImmediate: prepare('BEGIN IMMEDIATE'),
        commit: prepare('COMMIT'),
        rollback: prepare('ROLLBACK'),
        savepoint: prepare('SAVEPOINT twofold_nested'),
        release: prepare('RELEASE twofold_nested'),
        rollbackTo: prepare('ROLLBACK TO twofold_nested'),
      };
    }
    return this.#control;
  }
}
