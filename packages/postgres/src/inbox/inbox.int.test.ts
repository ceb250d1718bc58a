import { inboxStoreContract } from '@twofold/core/testing';
import { usePostgres } from '../../tests/server.js';
import type { PostgresClient } from '../index.js';

const server = usePostgres();

inboxStoreContract('PostgresInbox', async () => {
  const db = await server.database();
  await db.pool.query('CREATE TABLE effects (n serial PRIMARY KEY, value text NOT NULL)');
  return {
    inbox: db.inbox,
    effects: {
      write: async (tx: PostgresClient, value: string) => {
        await tx.query('INSERT INTO effects (value) VALUES ($1)', [value]);
      },
      read: async () =>
        (await db.pool.query<{ value: string }>('SELECT value FROM effects ORDER BY n')).rows.map((r) => r.value),
    },
    rollsBack: true,
    close: () => db.close(),
  };
});
