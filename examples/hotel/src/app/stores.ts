import { join } from 'node:path';
import {
  type CheckpointStore,
  type DeadLetterStore,
  type DocumentReader,
  type DocumentTx,
  type InlineProjectionStore,
  MemoryCheckpointStore,
  MemoryDeadLetterStore,
  MemoryDocumentStore,
  MemoryStore,
  type ProjectionStore,
  type WriteStore,
} from '@twofold/core';
import { SqliteCheckpointStore, SqliteDeadLetterStore, SqliteDocumentStore, SqliteStore } from '@twofold/sqlite';
import { type EffectStore, MemoryEffectStore } from '../effects/effect-store.js';
import { SqliteEffectStore } from '../effects/sqlite-effect-store.js';

/** A read store of document collections, which query handlers read through `read(projection)`. */
export type DocumentStore = ProjectionStore<DocumentTx> & {
  read(projection: string | { readonly name: string }): DocumentReader;
  /** Declares an index on fields that `find` filters on (the in-memory store needs none). */
  index?(projection: { readonly name: string }, collection: string, fields: readonly string[]): void;
};

/** Everything the hotel keeps, on the write side and on the read side. */
export interface Stores {
  /** Events, room states and idempotency records. */
  readonly writes: WriteStore;
  /** Read models applied inline, within the write store's transactions. */
  readonly inline: DocumentStore & InlineProjectionStore<unknown, DocumentTx>;
  /** Read models applied asynchronously. */
  readonly reads: DocumentStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  readonly effects: EffectStore;
  /** Where it all is, in words, for the start-up banner. */
  readonly description: string;
  close(): Promise<void>;
}

export interface StoresConfig {
  /** Where the SQLite files go; undefined keeps everything in memory (tests). */
  readonly dataDir?: string | undefined;
  /** A Redis server for a read model. */
  readonly redisUrl?: string | undefined;
}

/**
 * Opens the hotel's stores: with a data directory, two SQLite files (the write side in `hotel-writes.db`, every
 * read model, subscriber checkpoint and side effect in `hotel-reads.db`); without one, all in memory. The one
 * place that knows which adapters back them.
 */
export async function createStores(config: StoresConfig = {}): Promise<Stores> {
  if (config.dataDir === undefined) return memoryStores();
  const writesPath = join(config.dataDir, 'hotel-writes.db');
  const readsPath = join(config.dataDir, 'hotel-reads.db');
  const opened: { close(): void }[] = [];
  const open = <T extends { close(): void }>(store: T): T => {
    opened.push(store);
    return store;
  };
  try {
    return {
      writes: open(new SqliteStore({ path: writesPath })),
      // Inline read models live in the write store's file, so that they commit in its transactions.
      inline: open(new SqliteDocumentStore({ path: writesPath })),
      reads: open(new SqliteDocumentStore({ path: readsPath })),
      checkpoints: open(new SqliteCheckpointStore({ path: readsPath })),
      deadLetters: open(new SqliteDeadLetterStore({ path: readsPath })),
      effects: open(new SqliteEffectStore(readsPath)),
      description: `SQLite, writes in ${writesPath}, reads in ${readsPath}${
        config.redisUrl === undefined ? '' : ' (REDIS_URL is ignored: there is no Redis read store yet)'
      }`,
      close: async () => {
        for (const store of opened.reverse()) store.close();
      },
    };
  } catch (error) {
    for (const store of opened.reverse()) store.close();
    throw error;
  }
}

function memoryStores(): Stores {
  return {
    writes: new MemoryStore(),
    inline: new MemoryDocumentStore(),
    reads: new MemoryDocumentStore(),
    checkpoints: new MemoryCheckpointStore(),
    deadLetters: new MemoryDeadLetterStore(),
    effects: new MemoryEffectStore(),
    description: 'in memory',
    close: async () => {},
  };
}
