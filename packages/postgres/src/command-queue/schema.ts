import type { Migration } from '../connection/migrations.js';

export const commandQueueMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'command queue',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_commands (
          seq bigserial PRIMARY KEY,
          id text NOT NULL UNIQUE,
          type text NOT NULL,
          data text NOT NULL,
          envelope text NOT NULL,
          key text,
          priority integer NOT NULL,
          run_at bigint NOT NULL,
          enqueued_at bigint NOT NULL,
          status text NOT NULL,
          attempts integer NOT NULL,
          lease text,
          lease_until bigint,
          result text,
          position bigint,
          problem text,
          updated_at bigint NOT NULL
        );
        CREATE INDEX twofold_commands_due ON twofold_commands (priority DESC, run_at, seq)
          WHERE status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_by_key ON twofold_commands (key, seq)
          WHERE key IS NOT NULL AND status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_dead ON twofold_commands (seq) WHERE status = 'dead';
      `),
  },
];
