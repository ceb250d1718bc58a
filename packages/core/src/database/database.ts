import type { CommandQueueStore } from '../command-queue/ports.js';
import type { DeadLetterStore } from '../dead-letters/ports.js';
import type { WriteStore } from '../event-store/ports.js';
import type { ProcessStore } from '../process-managers/ports.js';
import type { DocumentReader, DocumentTx } from '../projections/documents.js';
import type { InlineDocumentStore, ProjectionStore } from '../projections/ports.js';
import type { CheckpointStore } from '../subscriptions/ports.js';

/**
 * A projection store of JSON documents whose read models queries read back: projections get a {@link DocumentTx},
 * and `read(projection)` hands a query handler the committed collections of the projection's active version. The
 * in-memory, SQLite and PostgreSQL document stores are ones; `inline` is the same store as inline projections see
 * it, where the handle can apply them in its write transactions.
 *
 * @example
 * const balance = await db.documents.read(balanceView).collection<Balance>('balances').get(accountId);
 */
export interface DocumentStore<WriteTx = unknown, InlineTx = unknown> extends ProjectionStore<DocumentTx> {
  /** The read side of `projection` (its name, or the projection itself), for query handlers. */
  read(projection: string | { readonly name: string }): DocumentReader;
  /**
   * The store as inline projections see it, applying them within the write store's transactions: their handlers
   * get `InlineTx` (`InlineDocumentTx` where that transaction is synchronous, as on SQLite and in memory).
   */
  readonly inline?: InlineDocumentStore<WriteTx, InlineTx>;
}

/**
 * What one database handle offers an application: the write store (which is also the event feed projections and
 * subscribers read), the document store of its read models, and the checkpoints and dead letters of its
 * subscribers, all on one connection or pool, closed together. `memory()` is the in-memory one; the adapters
 * (`sqlite()`, `postgres()`) open durable ones.
 *
 * @example
 * const db = memory();
 * const models = writeModels({ store: db.events });
 * new ProjectionRunner({ projection: balanceView, store: db.documents, feed: db.events }).start();
 * await db.close();
 */
export interface Database<WriteTx = unknown, InlineTx = unknown> {
  /** The write store: event streams, states, idempotency records and snapshots; also the event feed. */
  readonly events: WriteStore<WriteTx>;
  /** Where projections keep their documents and checkpoints, and where queries read them. */
  readonly documents: DocumentStore<WriteTx, InlineTx>;
  /** How far each subscriber has read the log. */
  readonly checkpoints: CheckpointStore;
  /** The events subscribers gave up on, with their errors. */
  readonly deadLetters: DeadLetterStore;
  /** The durable command queue that `enqueue` writes to and workers claim from, where the database has one. */
  readonly commands?: CommandQueueStore;
  /** Process managers' instances, timers and checkpoints, committing with the command queue, where it has one. */
  readonly processes?: ProcessStore;
  /** Releases the connection (or pool). Stop what reads or writes through the handle first. */
  close(): Promise<void>;
}
