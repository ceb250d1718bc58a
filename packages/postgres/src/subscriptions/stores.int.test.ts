import { subscriptionStoresContract } from '@twofold/core/testing';
import { afterEach } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { PostgresCheckpointStore, PostgresDeadLetterStore, PostgresStore } from '../index.js';

const postgres = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
subscriptionStoresContract('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  const schema = postgres.schema();
  return {
    open: async () => {
      const checkpoints = await PostgresCheckpointStore.open({ connection: postgres.url, schema });
      const deadLetters = await PostgresDeadLetterStore.open({ connection: postgres.url, schema });
      return {
        checkpoints,
        deadLetters,
        close: async () => void (await Promise.all([checkpoints.close(), deadLetters.close()])),
      };
    },
    // The subscriber reads the PostgreSQL log itself, whose positions have gaps.
    log: async () => {
      const log = await PostgresStore.open({ connection: postgres.url, schema });
      closers.push(() => log.close());
      return log;
    },
  };
});
