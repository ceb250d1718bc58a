import type { Migration } from '../connection/migrations.js';

export const commandQueueMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'command queue',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_commands (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          type TEXT NOT NULL,
          data TEXT NOT NULL,
          envelope TEXT NOT NULL,
          key TEXT,
          priority INTEGER NOT NULL,
          run_at INTEGER NOT NULL,
          enqueued_at INTEGER NOT NULL,
          status TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          lease TEXT,
          lease_until INTEGER,
          result TEXT,
          position INTEGER,
          problem TEXT,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX twofold_commands_due ON twofold_commands (status, run_at)
          WHERE status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_by_key ON twofold_commands (key, seq)
          WHERE key IS NOT NULL AND status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_dead ON twofold_commands (seq) WHERE status = 'dead';
      `),
  },
];
