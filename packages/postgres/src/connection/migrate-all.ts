import { commandQueueMigrations } from '../command-queue/schema.js';
import { eventStoreMigrations } from '../event-store/schema.js';
import { inboxMigrations } from '../inbox/schema.js';
import { outboxMigrations } from '../outbox/schema.js';
import { processMigrations } from '../process-managers/schema.js';
import { documentMigrations, slotMigrations, tableMigrations } from '../read-store/schema.js';
import { subscriptionMigrations } from '../subscriptions/schema.js';
import { migrate } from './migrations.js';
import { type PostgresConnectionOptions, SchemaPool } from './schema-pool.js';

/** Where one component's schema was, and where it is now. */
export interface MigrationReport {
  readonly component: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Creates or upgrades every table Twofold keeps in a schema (event store, read stores, subscriptions, outbox, command queue, process managers, inbox), as a
 * database handle also does when it opens. For deployments that migrate before starting the application, and for the CLI.
 *
 * @example
 * for (const { component, from, to } of await migratePostgres({ connection: process.env.DATABASE_URL! }))
 *   console.log(`${component}: ${from} → ${to}`);
 */
export async function migratePostgres(options: PostgresConnectionOptions): Promise<readonly MigrationReport[]> {
  const db = new SchemaPool(options, 'migratePostgres()');
  try {
    return await migrateAll(db);
  } finally {
    await db.end();
  }
}

const COMPONENTS = [
  ['event-store', eventStoreMigrations],
  ['projection-slots', slotMigrations],
  ['documents', documentMigrations],
  ['tables', tableMigrations],
  ['subscriptions', subscriptionMigrations],
  ['outbox', outboxMigrations],
  ['command-queue', commandQueueMigrations],
  ['process-managers', processMigrations],
  ['inbox', inboxMigrations],
] as const;

/** Brings every component's tables in the pool's schema up to date, in order; what a database handle does on open. */
export async function migrateAll(db: SchemaPool): Promise<readonly MigrationReport[]> {
  const reports: MigrationReport[] = [];
  for (const [component, migrations] of COMPONENTS) {
    reports.push({ component, ...(await migrate(db, component, migrations)) });
  }
  return reports;
}
