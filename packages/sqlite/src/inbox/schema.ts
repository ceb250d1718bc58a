import type { Migration } from '../connection/migrations.js';

export const inboxMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'inbox',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_inbox (
          consumer TEXT NOT NULL,
          message_id TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (consumer, message_id)
        ) WITHOUT ROWID;
      `),
  },
];
