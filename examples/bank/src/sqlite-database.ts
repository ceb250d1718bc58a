import type { Database, DocumentReader, DocumentTx } from '@twofold/core';
import {
  SqliteCheckpointStore,
  SqliteDeadLetterStore,
  SqliteDocumentStore,
  SqliteStore,
  type SqliteTx,
} from '@twofold/sqlite';

/**
 * The bank's stores in one SQLite file, closed together: the write store, the documents of its read models (in the
 * same file, so that a projection can be applied inline), and the checkpoints and dead letters of subscribers.
 */
export function sqliteDatabase(path: string): Database<SqliteTx, DocumentTx, DocumentReader> {
  const events = new SqliteStore({ path });
  const documents = new SqliteDocumentStore({ path });
  const checkpoints = new SqliteCheckpointStore({ path });
  const deadLetters = new SqliteDeadLetterStore({ path });
  return {
    events,
    documents,
    checkpoints,
    deadLetters,
    close: async () => {
      for (const store of [deadLetters, checkpoints, documents, events]) store.close();
    },
  };
}
