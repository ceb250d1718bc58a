import type { Migration } from '../connection/migrations.js';

/** Checkpoints per projection slot, and which version of each projection queries read. */
export const slotMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'projection slots and active versions',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_projection_slots (
          projection TEXT NOT NULL,
          version INTEGER NOT NULL,
          checkpoint INTEGER NOT NULL,
          PRIMARY KEY (projection, version)
        ) WITHOUT ROWID;
        CREATE TABLE twofold_projection_active (
          projection TEXT PRIMARY KEY,
          version INTEGER NOT NULL
        ) WITHOUT ROWID;
      `),
  },
];

/** The document collections that exist per slot (each one a table), and the indexes declared on them. */
export const documentMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'document collections and their indexes',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_document_collections (
          projection TEXT NOT NULL,
          version INTEGER NOT NULL,
          collection TEXT NOT NULL,
          PRIMARY KEY (projection, version, collection)
        ) WITHOUT ROWID;
        CREATE TABLE twofold_document_indexes (
          projection TEXT NOT NULL,
          collection TEXT NOT NULL,
          fields TEXT NOT NULL,
          PRIMARY KEY (projection, collection, fields)
        ) WITHOUT ROWID;
      `),
  },
];

/** The plain SQL tables created per slot, so that activating another version can drop them. */
export const tableMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tables per projection slot',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_projection_tables (
          projection TEXT NOT NULL,
          version INTEGER NOT NULL,
          name TEXT NOT NULL,
          PRIMARY KEY (projection, version, name)
        ) WITHOUT ROWID;
      `),
  },
];
