import type { Migration } from '../connection/migrations.js';

export const inboxMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'inbox',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_inbox (
          consumer text NOT NULL,
          message_id text NOT NULL,
          received_at bigint NOT NULL,
          PRIMARY KEY (consumer, message_id)
        );
      `),
  },
];
