import type { Migration } from '../connection/migrations.js';

// `position` is the rowid: assigned max + 1 inside the writing transaction, so the log is gap-free (a rolled back
// transaction leaves no hole) and ordered by commit. UNIQUE(stream_id, stream_version) guards stream versions
// even against a writer that skips the version check.
export const eventStoreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, states, idempotency records and snapshots',
    up: (db) =>
      db.exec(`
        CREATE TABLE twofold_events (
          position INTEGER PRIMARY KEY,
          id TEXT NOT NULL,
          stream_id TEXT NOT NULL,
          stream_version INTEGER NOT NULL,
          type TEXT NOT NULL,
          schema_version INTEGER NOT NULL,
          data TEXT,
          metadata TEXT NOT NULL,
          timestamp INTEGER NOT NULL,
          UNIQUE (stream_id, stream_version)
        );
        CREATE TABLE twofold_states (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          version INTEGER NOT NULL,
          state TEXT,
          PRIMARY KEY (collection, id)
        ) WITHOUT ROWID;
        CREATE TABLE twofold_idempotency (
          key TEXT PRIMARY KEY,
          result TEXT,
          position INTEGER,
          at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE twofold_snapshots (
          name TEXT NOT NULL,
          stream_id TEXT NOT NULL,
          version INTEGER NOT NULL,
          state TEXT,
          PRIMARY KEY (name, stream_id)
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 2,
    name: 'idempotency records name their command, and are pruned by age',
    // Rows stored before keep NULL in both: the write models answer them as repeats, as they did when stored.
    up: (db) =>
      db.exec(`
        ALTER TABLE twofold_idempotency ADD COLUMN command_type TEXT;
        ALTER TABLE twofold_idempotency ADD COLUMN fingerprint TEXT;
        CREATE INDEX twofold_idempotency_at ON twofold_idempotency (at);
      `),
  },
];
