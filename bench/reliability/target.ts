// Where the hotel keeps its data for a reliability run: SQLite files in a temp directory, or a schema on a
// throwaway PostgreSQL server started for the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import type { StoresConfig } from '../../examples/hotel/src/app/stores.js';

export type StoreName = 'sqlite' | 'postgres';

/** The hotel's storage for one run: how the app is configured in-process and as a child process. */
export interface Target {
  readonly store: StoreName;
  /** For `createApp` / `createStores` in this process. */
  readonly config: StoresConfig;
  /** For `examples/hotel/src/main.ts` in a child process. */
  readonly env: Readonly<Record<string, string>>;
  /** The PostgreSQL server, on `postgres`. */
  readonly postgres: PostgresServer | undefined;
  /** Stops the server and deletes the data. */
  close(): Promise<void>;
}

/**
 * Opens empty storage for the hotel.
 *
 * @example
 * const target = await openTarget('postgres');
 * try { await runKillLoop({ target, kills: 10 }); } finally { await target.close(); }
 */
export async function openTarget(store: StoreName): Promise<Target> {
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'twofold-reliability-'));
    return {
      store,
      config: { dataDir },
      env: { DATA_DIR: dataDir },
      postgres: undefined,
      close: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const postgres = await startPostgres();
  const schema = 'hotel';
  // Billing keeps its own SQLite file, in the data directory, beside the hotel on PostgreSQL.
  const dataDir = mkdtempSync(join(tmpdir(), 'twofold-reliability-billing-'));
  return {
    store,
    config: { postgres: { url: postgres.url, schema }, dataDir },
    env: { DATABASE_URL: postgres.url, DATABASE_SCHEMA: schema, DATA_DIR: dataDir },
    postgres,
    close: async () => {
      await postgres.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The stores a run covers: both by default, or those named in RELIABILITY_STORES (`sqlite,postgres`). */
export function storesFromEnv(): StoreName[] {
  const named = (process.env.RELIABILITY_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  const unknown = named.filter((s) => s !== 'sqlite' && s !== 'postgres');
  if (unknown.length > 0) throw new Error(`RELIABILITY_STORES: unknown store ${unknown.join(', ')}`);
  return named as StoreName[];
}
