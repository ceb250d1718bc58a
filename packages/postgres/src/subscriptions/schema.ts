import type { Migration } from '../connection/migrations.js';

export const subscriptionMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'checkpoints and dead letters',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_checkpoints (
          name text PRIMARY KEY,
          position bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE twofold_dead_letters (
          id text PRIMARY KEY,
          subscriber text NOT NULL,
          position bigint NOT NULL,
          event text NOT NULL,
          error text NOT NULL,
          attempts integer NOT NULL,
          at bigint NOT NULL
        );
        CREATE INDEX twofold_dead_letters_subscriber ON twofold_dead_letters (subscriber, at, position);
      `),
  },
  {
    version: 2,
    name: 'dead letters in the order of their pages',
    // Pages are read by time, then id, ids compared code point by code point as every store compares them: an
    // index for every subscriber's letters, and one for each one's.
    up: (tx) =>
      tx.query(`
        ALTER TABLE twofold_dead_letters ALTER COLUMN id TYPE text COLLATE "C";
        DROP INDEX twofold_dead_letters_subscriber;
        CREATE INDEX twofold_dead_letters_subscriber_at ON twofold_dead_letters (subscriber, at, id);
        CREATE INDEX twofold_dead_letters_at ON twofold_dead_letters (at, id);
      `),
  },
];
