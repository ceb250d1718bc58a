import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, beforeAll } from 'vitest';

/**
 * One throwaway PostgreSQL cluster for a test file, and a fresh schema name for each store, so that tests share
 * the server but never their data.
 */
export function usePostgres(options: Parameters<typeof startPostgres>[0] = {}) {
  let server: PostgresServer | undefined;
  let schemas = 0;
  beforeAll(async () => {
    server = await startPostgres(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get url(): string {
      if (server === undefined) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return server.url;
    },
    get server(): PostgresServer {
      if (server === undefined) throw new Error('PostgreSQL is not started yet (use it inside a test)');
      return server;
    },
    schema: () => `t${process.pid}_${++schemas}`,
  };
}
