import type { Migration } from '../connection/migrations.js';

export const outboxMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_outbox (
          seq bigserial PRIMARY KEY,
          id text NOT NULL UNIQUE,
          topic text NOT NULL,
          payload text NOT NULL,
          headers text NOT NULL,
          created_at bigint NOT NULL,
          due_at bigint NOT NULL,
          claimed_until bigint NOT NULL DEFAULT 0,
          attempts integer NOT NULL DEFAULT 0,
          last_error text,
          parked boolean NOT NULL DEFAULT false
        );
        CREATE INDEX twofold_outbox_due ON twofold_outbox (seq) WHERE NOT parked;
      `),
  },
];
