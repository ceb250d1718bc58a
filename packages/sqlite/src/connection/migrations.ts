import {
  type Migration as CoreMigration,
  type MigrationDialect,
  migrate as migrateWith,
  runSync,
} from '@twofold/core/adapters';
import type { SqliteConnection } from './open.js';

/** One step of a component's schema, applied once, in its own transaction. */
export type Migration = CoreMigration<SqliteConnection>;

// Each step in an immediate transaction: the write lock, taken at BEGIN, keeps other processes' steps out.
function dialect(db: SqliteConnection): MigrationDialect<SqliteConnection> {
  return {
    adapter: '@twofold/sqlite',
    where: db.name,
    prepareTable: () => {
      db.exec(`CREATE TABLE IF NOT EXISTS twofold_migrations (
        component TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        applied_at INTEGER NOT NULL,
        PRIMARY KEY (component, version)
      ) WITHOUT ROWID`);
    },
    appliedVersion: (component) =>
      db
        .prepare<[string], number>('SELECT coalesce(max(version), 0) FROM twofold_migrations WHERE component = ?')
        .pluck()
        .get(component)!,
    record: (_, component, migration) => {
      db.prepare('INSERT INTO twofold_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)').run(
        component,
        migration.version,
        migration.name,
        Date.now(),
      );
    },
    transaction: (body) => db.transaction(() => runSync(body(db))).immediate(),
  };
}

/**
 * Brings `component`'s tables up to date: applies, in order and each in its own transaction, every migration
 * not yet recorded in `twofold_migrations`. Safe when several processes open the file at once: each step is
 * re-checked under the write lock.
 */
export function migrate(db: SqliteConnection, component: string, migrations: readonly Migration[]): void {
  runSync(migrateWith(dialect(db), component, migrations));
}
