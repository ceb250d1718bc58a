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
];
