import { type GlobalPosition, InvalidArgumentError, type ProjectionSlot, type RecordedEvent } from '@twofold/core';
import {
  activateSlot,
  applyInline,
  commitSlot,
  runSync,
  type SlotBatch,
  type SlotData,
  type SlotReadStore,
  type SlotStorage,
} from '@twofold/core/adapters';
import { inTransaction, refusePromise, type SqliteConnection } from '../connection/open.js';
import { SlotStatements } from './slot-statements.js';

/**
 * What the SQLite read stores share: a version of a projection's read model per slot, its checkpoint moved in the
 * same transaction as the read model (the slot protocol of `@twofold/core/adapters`), the pointer to the version
 * queries read, and inline application inside the write store's transaction on the same handle. A subclass says
 * what a slot's data is: how to create it, drop it, and hand it to a projection.
 */
export abstract class VersionedReadStore<ProjectionTx> implements SlotReadStore<SqliteConnection, ProjectionTx> {
  protected readonly db: SqliteConnection;
  protected readonly slots: SlotStatements;
  readonly #owner: string;
  readonly #storage: SlotStorage<SqliteConnection, ProjectionTx>;

  /** On the connection of a {@link SqliteDatabase}, its tables migrated. */
  protected constructor(db: SqliteConnection, owner: string) {
    this.db = db;
    this.#owner = owner;
    this.slots = new SlotStatements(db);
    const data: SlotData<SqliteConnection, ProjectionTx> = {
      create: (tx, slot) => this.createSlot(tx, slot),
      drop: (tx, slot) => this.dropSlot(tx, slot),
      projectionTx: (tx, slot) => this.projectionTx(tx, slot),
    };
    this.#storage = { slots: this.slots, data };
  }

  /** Creates the storage of a slot written for the first time (within the writing transaction). */
  protected abstract createSlot(db: SqliteConnection, slot: ProjectionSlot): void;
  /** Drops all data of a slot (within the activating transaction). */
  protected abstract dropSlot(db: SqliteConnection, slot: ProjectionSlot): void;
  /** What a projection's handlers get to change the slot's read model inside a transaction on `db`. */
  protected abstract projectionTx(db: SqliteConnection, slot: ProjectionSlot): ProjectionTx;

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    return (this.slots.checkpoint(this.db, slot) ?? 0) as GlobalPosition;
  }

  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (projectionTx: ProjectionTx) => void | Promise<void>,
  ): Promise<void> {
    this.transact({ slot, from, to, work });
  }

  /**
   * In one transaction: checks that the slot is at `from` (creating it on its first write), runs `work`, and moves the checkpoint to `to`. Fails with CONCURRENCY_CONFLICT, changing nothing,
   * when the slot has moved.
   */
  protected transact(batch: SlotBatch<ProjectionTx>): void {
    inTransaction(
      this.db,
      () => runSync(commitSlot(this.#storage, this.db, batch), refusePromise),
      `Projection ${batch.slot.projection}`,
    );
  }

  applyWithin(
    writeTx: SqliteConnection,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, projectionTx: ProjectionTx) => void | Promise<void>,
  ): void {
    if (writeTx !== this.db) {
      throw new InvalidArgumentError(
        `${this.#owner}: projection ${slot.projection} can only apply inline on the write store's own database handle (${writeTx.name}), but this read store is on the handle of ${this.db.name}: take both from one sqlite() handle`,
      );
    }
    if (!writeTx.inTransaction) {
      throw new InvalidArgumentError(`${this.#owner}.applyWithin() must run inside the write store's transaction`);
    }
    runSync(applyInline(this.#storage, writeTx, slot, events, apply), refusePromise);
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    return this.slots.activeVersion(projection);
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    inTransaction(
      this.db,
      () => runSync(activateSlot(this.#storage, this.db, slot), refusePromise),
      `${this.#owner}.activate()`,
    );
  }
}
