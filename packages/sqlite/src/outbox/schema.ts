import type { Migration } from '../connection/migrations.js';

export const outboxMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_outbox (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          topic TEXT NOT NULL,
          payload TEXT NOT NULL,
          headers TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          due_at INTEGER NOT NULL,
          claimed_until INTEGER NOT NULL DEFAULT 0,
          attempts INTEGER NOT NULL DEFAULT 0,
          last_error TEXT,
          parked INTEGER NOT NULL DEFAULT 0
        );
      `),
  },
];
