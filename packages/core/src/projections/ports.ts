import type { RecordedEvent } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';

/**
 * One version of one projection's read model. Each version is stored apart, so that a rebuild can fill a new
 * version while queries still read the active one.
 */
export interface ProjectionSlot {
  readonly projection: string;
  readonly version: number;
}

/**
 * Where projections keep their read models and checkpoints. A read-model change and its checkpoint move in one
 * transaction, so a crash can neither lose nor double-apply an event.
 */
export interface ProjectionStore<Tx = unknown> {
  /** The position up to which `slot` has applied events, or START. */
  checkpoint(slot: ProjectionSlot): Promise<GlobalPosition>;
  /**
   * In one transaction: runs `work` (which changes the slot's read model through `tx`) and moves the slot's
   * checkpoint from `from` to `to`. Fails with CONCURRENCY_CONFLICT, changing nothing, when the stored
   * checkpoint is not `from` (another runner got there first).
   */
  commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: Tx) => void | Promise<void>,
  ): Promise<void>;
  /** The version queries read, or undefined before any version was activated. */
  activeVersion(projection: string): Promise<number | undefined>;
  /** Atomically makes `slot` the version queries read, then drops the data of every other version. */
  activate(slot: ProjectionSlot): Promise<void>;
}

/**
 * A read store that can also apply a projection inside a write store's transaction (inline projections), because
 * both live in one database. On SQLite and in memory that transaction is synchronous: `apply` must finish at once,
 * and the store refuses a handler that returns a promise. On PostgreSQL it is asynchronous and may await.
 */
export interface InlineProjectionStore<WriteTx, Tx> {
  /** Applies `events` to `slot` and moves its checkpoint to the last one, within `writeTx`. */
  applyWithin(
    writeTx: WriteTx,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: Tx) => void | Promise<void>,
  ): void | Promise<void>;
  /**
   * Takes `slot`'s turn within `writeTx` before the commit writes anything, and holds it until the commit ends,
   * where commits that apply a projection take turns (PostgreSQL): a commit waiting for its turn then holds
   * nothing that readers wait for. Stores whose commits run one at a time (SQLite, memory) have none.
   */
  takeTurn?(writeTx: WriteTx, slot: ProjectionSlot): void | Promise<void>;
}

/**
 * A document store as inline projections see it: `Tx` is what their handlers get inside the write transaction
 * (`InlineDocumentTx` on SQLite and memory, `DocumentTx` on PostgreSQL). It applies them within each commit, and
 * as a {@link ProjectionStore} it brings them up to the end of the log before they join the commits. It shares
 * the slots and checkpoints of the document store it belongs to, where queries read the result.
 *
 * @example
 * const inline = db.documents.inline!;
 * await new ProjectionRunner({ projection: accounts, store: inline, feed: db.events }).catchUp();
 * const models = writeModels({ store: db.events, participants: [inlineProjection(accounts, inline).participant] });
 */
export interface InlineDocumentStore<WriteTx, Tx> extends ProjectionStore<Tx>, InlineProjectionStore<WriteTx, Tx> {}
