import type { Migration } from '../connection/migrations.js';

export const processMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'process managers',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_process_instances (
          manager text NOT NULL,
          correlation text NOT NULL,
          state text NOT NULL,
          version integer NOT NULL,
          closed boolean NOT NULL,
          updated_at bigint NOT NULL,
          PRIMARY KEY (manager, correlation)
        );
        CREATE TABLE twofold_process_timers (
          manager text NOT NULL,
          correlation text NOT NULL,
          name text NOT NULL,
          at bigint NOT NULL,
          PRIMARY KEY (manager, correlation, name)
        );
        CREATE INDEX twofold_process_timers_due ON twofold_process_timers (manager, at);
        CREATE TABLE twofold_process_checkpoints (
          manager text PRIMARY KEY,
          position bigint NOT NULL
        );
      `),
  },
  {
    version: 2,
    name: 'timer failures',
    // A timer's failures are counted with it, so that a poison timer is parked across restarts of its runner.
    up: (tx) => tx.query('ALTER TABLE twofold_process_timers ADD COLUMN failures integer NOT NULL DEFAULT 0'),
  },
  {
    version: 3,
    name: 'closed instances by closing time',
    // Pruning finds the closed instances that closed long enough ago without reading the open ones.
    up: (tx) =>
      tx.query(
        'CREATE INDEX twofold_process_instances_closed ON twofold_process_instances (manager, updated_at) WHERE closed',
      ),
  },
];
