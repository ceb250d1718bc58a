import type { Migration } from '../connection/migrations.js';

export const processMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'process managers',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_process_instances (
          manager TEXT NOT NULL,
          correlation TEXT NOT NULL,
          state TEXT NOT NULL,
          version INTEGER NOT NULL,
          closed INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (manager, correlation)
        ) WITHOUT ROWID;
        CREATE TABLE twofold_process_timers (
          manager TEXT NOT NULL,
          correlation TEXT NOT NULL,
          name TEXT NOT NULL,
          at INTEGER NOT NULL,
          PRIMARY KEY (manager, correlation, name)
        ) WITHOUT ROWID;
        CREATE INDEX twofold_process_timers_due ON twofold_process_timers (manager, at);
        CREATE TABLE twofold_process_checkpoints (
          manager TEXT PRIMARY KEY,
          position INTEGER NOT NULL
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 2,
    name: 'timer failures',
    // A timer's failures are counted with it, so that a poison timer is parked across restarts of its runner.
    up: (db) => db.exec('ALTER TABLE twofold_process_timers ADD COLUMN failures INTEGER NOT NULL DEFAULT 0'),
  },
  {
    version: 3,
    name: 'closed instances by closing time',
    // Pruning finds the closed instances that closed long enough ago without reading the open ones.
    up: (db) =>
      db.exec(
        'CREATE INDEX twofold_process_instances_closed ON twofold_process_instances (manager, updated_at) WHERE closed = 1',
      ),
  },
];
