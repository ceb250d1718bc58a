import {
  type Migration as CoreMigration,
  type MigrationDialect,
  migrate as migrateWith,
  runAsync,
} from '@twofold/core/adapters';
import type { PostgresClient, SchemaPool } from './schema-pool.js';

/** One step of a component's schema, applied once, in its own transaction. */
export type Migration = CoreMigration<PostgresClient>;

// One lock key for every migration in the database: nodes starting together apply each step once.
const MIGRATION_LOCK = 0x7477_6f66; // 'twof'
const LOCK = 'SELECT pg_advisory_xact_lock($1)';
const APPLIED = 'SELECT coalesce(max(version), 0)::int AS version FROM twofold_migrations WHERE component = $1';

// Each step, and the creation of the schema and the migrations table, in a transaction under the advisory lock:
// CREATE … IF NOT EXISTS is not safe for two sessions at once.
function dialect(db: SchemaPool): MigrationDialect<PostgresClient> {
  return {
    adapter: '@twofold/postgres',
    where: db.schema,
    prepareTable: () =>
      db.transaction(async (tx) => {
        await tx.query(LOCK, [MIGRATION_LOCK]);
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
        await tx.query(`CREATE TABLE IF NOT EXISTS twofold_migrations (
          component text NOT NULL,
          version integer NOT NULL,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (component, version)
        )`);
      }),
    appliedVersion: async (component, tx) => {
      const { rows } =
        tx === undefined
          ? await db.query<{ version: number }>(APPLIED, [component])
          : await tx.query<{ version: number }>(APPLIED, [component]);
      return rows[0]?.version ?? 0;
    },
    record: async (tx, component, migration) => {
      await tx.query('INSERT INTO twofold_migrations (component, version, name) VALUES ($1, $2, $3)', [
        component,
        migration.version,
        migration.name,
      ]);
    },
    transaction: (body) =>
      db.transaction(async (tx) => {
        await tx.query(LOCK, [MIGRATION_LOCK]);
        return runAsync(body(tx));
      }),
  };
}

/**
 * Brings `component`'s tables in the pool's schema up to date: applies, in order and each in its own transaction,
 * every migration not yet recorded in `twofold_migrations`. Safe when several nodes start at once: each step runs
 * under a transaction-level advisory lock and is re-checked under it.
 */
export function migrate(
  db: SchemaPool,
  component: string,
  migrations: readonly Migration[],
): Promise<{ readonly from: number; readonly to: number }> {
  return runAsync(migrateWith(dialect(db), component, migrations));
}
