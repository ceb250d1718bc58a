import { tableStoreContract } from '@twofold/core/testing';
import { usePostgres } from '../../tests/server.js';
import { type PostgresClient, slotTable } from '../index.js';

type Sql = <Row = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<Row[]>;

const server = usePostgres();

tableStoreContract<PostgresClient, Sql>('postgres', async () => {
  const db = await server.database();
  return {
    store: db.tables,
    slotTable,
    createTable: (tx, table) => tx.query(`CREATE TABLE ${table} (value text PRIMARY KEY)`),
    insert: (tx, table, value) => tx.query(`INSERT INTO ${table} VALUES ($1)`, [value]),
    values: async (sql, table) =>
      (await sql<{ value: string }>(`SELECT value FROM ${table} ORDER BY value COLLATE "C"`)).map((row) => row.value),
    tables: async (projection) => {
      const { rows } = await db.pool.query<{ name: string }>(
        'SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2 ORDER BY tablename COLLATE "C"',
        [db.schema, `${projection}@%`],
      );
      return rows.map((row) => row.name);
    },
  };
});
