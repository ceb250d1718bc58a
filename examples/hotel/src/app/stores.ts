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
import { type EffectStore, MemoryEffectStore } from '../effects/effect-store.js';

/** A read store of document collections, which query handlers read through `read(projection)`. */
export type DocumentStore = ProjectionStore<DocumentTx> & {
  read(projection: string | { readonly name: string }): DocumentReader;
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

/** Opens the hotel's stores. The one place that knows which adapters back them. */
export async function createStores(_config: StoresConfig = {}): Promise<Stores> {
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
