import { InvalidArgumentError } from '@twofold/core';
import type { SqliteTx } from './open.js';

/** One step of a component's schema, applied once, in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: SqliteTx) => void;
}

/**
 * Brings `component`'s tables up to date: applies, in order and each in its own transaction, every migration
 * not yet recorded in `twofold_migrations`. Safe when several processes open the file at once: each step is
 * re-checked under the write lock.
 */
export function migrate(db: SqliteTx, component: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS twofold_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  ) WITHOUT ROWID`);
  const latest = db.prepare<[string], { version: number | null }>(
    'SELECT max(version) AS version FROM twofold_migrations WHERE component = ?',
  );
  const record = db.prepare(
    'INSERT INTO twofold_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  const known = migrations.at(-1)?.version ?? 0;
  const applied = latest.get(component)?.version ?? 0;
  if (applied > known) {
    throw new InvalidArgumentError(
      `The ${component} schema in ${db.name} is at version ${applied}, newer than this @twofold/sqlite knows (${known}): upgrade the package`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= applied) continue;
    db.transaction(() => {
      if ((latest.get(component)?.version ?? 0) >= migration.version) return;
      migration.up(db);
      record.run(component, migration.version, migration.name, Date.now());
    }).immediate();
  }
}
