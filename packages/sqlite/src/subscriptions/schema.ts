import type { Migration } from '../connection/migrations.js';

export const checkpointMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'subscriber checkpoints',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_checkpoints (
          name TEXT PRIMARY KEY,
          position INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `),
  },
];

export const deadLetterMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'dead letters',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_dead_letters (
          id TEXT PRIMARY KEY,
          subscriber TEXT NOT NULL,
          position INTEGER NOT NULL,
          event TEXT NOT NULL,
          error TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX twofold_dead_letters_by_subscriber ON twofold_dead_letters (subscriber, at, position);
      `),
  },
  {
    version: 2,
    name: 'dead letters in the order of their pages',
    // Pages are read by time, then id: an index for every subscriber's letters, and one for each one's.
    up: (db) =>
      db.exec(`
        DROP INDEX twofold_dead_letters_by_subscriber;
        CREATE INDEX twofold_dead_letters_by_subscriber_at ON twofold_dead_letters (subscriber, at, id);
        CREATE INDEX twofold_dead_letters_by_at ON twofold_dead_letters (at, id);
      `),
  },
];
