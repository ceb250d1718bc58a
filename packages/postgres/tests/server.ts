import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type PostgresDatabase, type PostgresOptions, postgres } from '../src/index.js';

/**
 * One throwaway PostgreSQL cluster for a test file, and a fresh schema name for each store, so that tests share
 * the server but never their data. `database()` opens a handle on a fresh schema (or the one given), closed after
 * the test.
 */
export function usePostgres(options: Parameters<typeof startPostgres>[0] = {}) {
  let server: PostgresServer | undefined;
  let schemas = 0;
  const opened: PostgresDatabase[] = [];
  beforeAll(async () => {
    server = await startPostgres(options);
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const schema = () => `t${process.pid}_${++schemas}`;
  return {
    get url(): string {
      if (server === undefined) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return server.url;
    },
    get server(): PostgresServer {
      if (server === undefined) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return server;
    },
    schema,
    async database(options: Partial<PostgresOptions> = {}): Promise<PostgresDatabase> {
      if (server === undefined) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      const db = await postgres(
        options.connection === undefined
          ? { connection: server.url, schema: schema(), ...options }
          : (options as PostgresOptions),
      );
      opened.push(db);
      return db;
    },
  };
}
