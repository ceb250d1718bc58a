import { MemoryCommandQueue } from '../command-queue/memory.js';
import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { MemoryStore, type MemoryTx } from '../event-store/memory-store.js';
import { MemoryProcessStore } from '../process-managers/memory.js';
import type { InlineDocumentTx } from '../projections/documents.js';
import { MemoryDocumentStore } from '../projections/memory-store.js';
import { MemoryCheckpointStore } from '../subscriptions/memory.js';
import type { Database } from './database.js';

/** The in-memory {@link Database}: see {@link memory}. */
export interface MemoryDatabase extends Database<MemoryTx, InlineDocumentTx> {
  readonly events: MemoryStore;
  readonly documents: MemoryDocumentStore;
  readonly checkpoints: MemoryCheckpointStore;
  readonly deadLetters: MemoryDeadLetterStore;
  /** The command queue; its `enqueueIn(tx, command)` joins a commit of `events`. */
  readonly commands: MemoryCommandQueue;
  readonly processes: MemoryProcessStore;
}

/**
 * A {@link Database} held in memory: a `MemoryStore`, a `MemoryDocumentStore` (which can also apply projections
 * inline, in the command's commit, synchronously as SQLite does), and in-memory checkpoints, dead letters,
 * command queue and process managers' store. For tests, examples and
 * prototypes; it forgets everything when the process ends, and `close()` has nothing to release.
 *
 * @example
 * const db = memory();
 * await db.events.append(streamId('account', 'a1'), [{ type: 'bank.AccountOpened', data: { owner: 'Ada' } }]);
 * await db.close();
 */
export function memory(): MemoryDatabase {
  const events = new MemoryStore();
  const commands = new MemoryCommandQueue({ store: events });
  return {
    events,
    documents: new MemoryDocumentStore(),
    checkpoints: new MemoryCheckpointStore(),
    deadLetters: new MemoryDeadLetterStore(),
    commands,
    processes: new MemoryProcessStore(commands),
    close: () => Promise.resolve(),
  };
}
