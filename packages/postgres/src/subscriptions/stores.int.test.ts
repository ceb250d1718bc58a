import { subscriptionStoresContract } from '@twofold/core/testing';
import { afterEach } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
subscriptionStoresContract('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  const schema = server.schema();
  return {
    open: async () => {
      const db = await postgres({ connection: server.url, schema });
      return { checkpoints: db.checkpoints, deadLetters: db.deadLetters, close: () => db.close() };
    },
    // The subscriber reads the PostgreSQL log itself, whose positions have gaps.
    log: async () => {
      const db = await postgres({ connection: server.url, schema });
      closers.push(() => db.close());
      return db.events;
    },
  };
});
