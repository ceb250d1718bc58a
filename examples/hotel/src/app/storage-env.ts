import { join, resolve } from 'node:path';
import type { StoresConfig } from './stores.js';

/**
 * Where the hotel keeps its data, from the environment, the same for the app (`npm start`) and its worker
 * processes (`npm run worker`): PostgreSQL when `DATABASE_URL` is set (`DATABASE_SCHEMA` names the schema, default
 * public), otherwise SQLite files in `DATA_DIR` (default: `data/` in the hotel's folder); `REDIS_URL` puts the
 * bookings read model in Redis.
 *
 * @example
 * storesConfigFromEnv({ DATABASE_URL: 'postgres://localhost/hotel' }, root); // { dataDir, postgres: { url, schema } }
 */
export function storesConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): StoresConfig & { readonly dataDir: string } {
  return {
    dataDir: resolve(env.DATA_DIR ?? join(root, 'data')),
    postgres: env.DATABASE_URL ? { url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA || undefined } : undefined,
    redisUrl: env.REDIS_URL || undefined,
  };
}
