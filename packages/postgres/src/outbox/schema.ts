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
  {
    version: 2,
    name: 'outbox pages keep room for the claims',
    // A claim rewrites a row (its lease and attempts, no indexed column): with room on the row's page the new
    // version stays there and no index changes (a HOT update); on a page filled by the inserts it moves to another
    // page and every index gets an entry for it. Rows live until their message is sent, so the room is reused.
    up: (tx) => tx.query('ALTER TABLE twofold_outbox SET (fillfactor = 50)'),
  },
];
