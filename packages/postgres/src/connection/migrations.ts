import { InvalidArgumentError } from '@twofold/core';
import type { PostgresClient, SchemaPool } from './schema-pool.js';

/** One step of a component's schema, applied once, in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (tx: PostgresClient) => Promise<unknown>;
}

// One lock key for every migration in the database: nodes starting together apply each step once.
const MIGRATION_LOCK = 0x7477_6f66; // 'twof'

/**
 * Brings `component`'s tables in the connection's schema up to date: applies, in order and each in its own
 * transaction, every migration not yet recorded in `twofold_migrations`. Safe when several nodes start at once:
 * each step runs under a transaction-level advisory lock and is re-checked under it.
 */
export async function migrate(
  connection: SchemaPool,
  component: string,
  migrations: readonly Migration[],
): Promise<{ readonly from: number; readonly to: number }> {
  const known = migrations.at(-1)?.version ?? 0;
  let from = -1;
  for (const migration of [{ version: 0, name: 'schema', up: async () => {} }, ...migrations]) {
    const applied = await connection.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${connection.schema}`);
      await tx.query(`CREATE TABLE IF NOT EXISTS twofold_migrations (
        component text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`);
      const { rows } = await tx.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM twofold_migrations WHERE component = $1',
        [component],
      );
      const current = rows[0]?.version ?? 0;
      if (current > known) {
        throw new InvalidArgumentError(
          `The ${component} schema in ${connection.schema} is at version ${current}, newer than this @twofold/postgres knows (${known}): upgrade the package`,
        );
      }
      if (migration.version > current) {
        await migration.up(tx);
        await tx.query('INSERT INTO twofold_migrations (component, version, name) VALUES ($1, $2, $3)', [
          component,
          migration.version,
          migration.name,
        ]);
      }
      return current;
    });
    if (from < 0) from = applied;
  }
  return { from, to: known };
}
