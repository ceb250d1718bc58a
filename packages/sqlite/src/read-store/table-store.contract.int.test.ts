import { tableStoreContract } from '@twofold/core/testing';
import { type SqliteConnection, slotTable, sqlite } from '../index.js';

tableStoreContract<SqliteConnection, SqliteConnection>('sqlite', () => {
  const db = sqlite(':memory:');
  return {
    store: db.tables,
    slotTable,
    createTable: (tx, table) => tx.exec(`CREATE TABLE ${table} (value TEXT PRIMARY KEY)`),
    insert: (tx, table, value) => tx.prepare(`INSERT INTO ${table} VALUES (?)`).run(value),
    values: (tx, table) => tx.prepare<[], string>(`SELECT value FROM ${table} ORDER BY value`).pluck().all(),
    tables: (projection) =>
      db.connection
        .prepare<[string], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE ? ORDER BY name")
        .pluck()
        .all(`${projection}@%`),
    close: () => db.close(),
  };
});
