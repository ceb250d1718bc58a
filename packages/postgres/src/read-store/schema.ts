import type { Migration } from '../connection/migrations.js';

export const slotMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'projection slots and active versions',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_projection_slots (
          projection text NOT NULL,
          version integer NOT NULL,
          checkpoint bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (projection, version)
        );
        CREATE TABLE twofold_projection_active (
          projection text PRIMARY KEY,
          version integer NOT NULL
        );
      `),
  },
];

export const documentMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'document collections',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_documents (
          projection text NOT NULL,
          version integer NOT NULL,
          collection text NOT NULL,
          id text COLLATE "C" NOT NULL,
          data jsonb NOT NULL,
          PRIMARY KEY (projection, version, collection, id)
        );
        CREATE TABLE twofold_document_indexes (
          projection text NOT NULL,
          collection text NOT NULL,
          fields jsonb NOT NULL,
          PRIMARY KEY (projection, collection, fields)
        );
      `),
  },
];

export const tableMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tables of projection slots',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_projection_tables (
          projection text NOT NULL,
          version integer NOT NULL,
          name text NOT NULL,
          PRIMARY KEY (projection, version, name)
        );
      `),
  },
];
