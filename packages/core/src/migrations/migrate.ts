import { InvalidArgumentError } from '../errors/errors.js';
import type { Protocol, Step } from '../protocol/run.js';

/**
 * One step of a component's schema (the event store's tables, the read stores' …), applied once, in its own
 * transaction, and recorded in the migrations table.
 *
 * @example
 * const migrations: readonly Migration<SqliteConnection>[] = [
 *   { version: 1, name: 'checkpoints', up: (db) => db.exec('CREATE TABLE twofold_checkpoints (…)') },
 * ];
 */
export interface Migration<Tx> {
  /** Its place in the component's order: 1, 2, 3… Recorded once applied. */
  readonly version: number;
  /** A few words on what it changes, kept in the migrations table. */
  readonly name: string;
  /** Changes the schema inside the migration's transaction; on an asynchronous database it may return a promise. */
  readonly up: (tx: Tx) => unknown;
}

/**
 * What the migration protocol needs from a database: the migrations table, and one write transaction at a time
 * for each step (SQLite: an immediate transaction; PostgreSQL: one under an advisory lock).
 */
export interface MigrationDialect<Tx> {
  /** The package that knows the migrations, for the message when the database is newer: `'@twofold/sqlite'`. */
  readonly adapter: string;
  /** Where the schema lives, for messages: the file, or the PostgreSQL schema. */
  readonly where: string;
  /** Creates the migrations table when it is missing. */
  prepareTable(): Step<void>;
  /** The highest version of `component` recorded (0 for none), inside `tx` when given. */
  appliedVersion(component: string, tx?: Tx): Step<number>;
  /** Records `migration` of `component` as applied, inside `tx`. */
  record(tx: Tx, component: string, migration: Migration<Tx>): Step<void>;
  /** Runs `body` in one write transaction that no other migration runs beside, and gives back its result. */
  transaction<R>(body: (tx: Tx) => Protocol<R>): Step<R>;
}

/**
 * Brings `component`'s tables up to date: applies, in order and each in its own transaction, every migration not
 * yet recorded. Safe when several processes or nodes open the database at once: each step is checked again
 * inside its transaction. A database newer than `migrations` fails with INVALID_ARGUMENT and is left alone.
 * Gives the versions before and after.
 *
 * @example
 * runSync(migrate(sqliteMigrations(db), 'event-store', eventStoreMigrations));
 */
export function* migrate<Tx>(
  dialect: MigrationDialect<Tx>,
  component: string,
  migrations: readonly Migration<Tx>[],
): Protocol<{ readonly from: number; readonly to: number }> {
  const known = migrations.at(-1)?.version ?? 0;
  yield dialect.prepareTable();
  const from: number = yield dialect.appliedVersion(component);
  checkKnown(dialect, component, from, known);
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    yield dialect.transaction(function* (tx): Protocol<void> {
      const applied: number = yield dialect.appliedVersion(component, tx);
      checkKnown(dialect, component, applied, known);
      if (applied >= migration.version) return;
      yield migration.up(tx);
      yield dialect.record(tx, component, migration);
    });
  }
  return { from, to: known };
}

function checkKnown<Tx>(dialect: MigrationDialect<Tx>, component: string, applied: number, known: number): void {
  if (applied > known) {
    throw new InvalidArgumentError(
      `The ${component} schema in ${dialect.where} is at version ${applied}, newer than this ${dialect.adapter} knows (${known}): upgrade the package`,
    );
  }
}
