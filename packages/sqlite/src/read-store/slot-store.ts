import {
  type GlobalPosition,
  type InlineProjectionStore,
  InvalidArgumentError,
  type ProjectionSlot,
  type ProjectionStore,
  type RecordedEvent,
  TwofoldError,
} from '@twofold/core';
import { type ProjectionRef, projectionName } from '@twofold/core/adapters';
import { type Migration, migrate } from '../connection/migrations.js';
import { closeDatabase, inTransaction, refusePromise, type SqliteTx, sameDatabase } from '../connection/open.js';
import { slotMigrations } from './schema.js';
import { SlotStatements } from './slot-statements.js';

export { type ProjectionRef, projectionName };

/**
 * What the SQLite read stores share: a checkpoint per projection slot moved in the same transaction as the read
 * model, the pointer to the version queries read, and inline application inside the write store's transaction.
 * A subclass says what a slot's data is: how to create it, drop it, and hand it to a projection.
 */
export abstract class SlotStore<Tx> implements ProjectionStore<Tx>, InlineProjectionStore<SqliteTx, Tx> {
  protected readonly db: SqliteTx;
  readonly #owner: string;
  readonly #statements = new WeakMap<SqliteTx, SlotStatements>();

  /** Takes over `db` (closing it if the schema cannot be brought up to date) and migrates its tables. */
  protected constructor(
    db: SqliteTx,
    owner: string,
    schema: { readonly component: string; readonly migrations: readonly Migration[] },
  ) {
    this.db = db;
    this.#owner = owner;
    try {
      migrate(db, 'projection-slots', slotMigrations);
      migrate(db, schema.component, schema.migrations);
    } catch (error) {
      closeDatabase(db);
      throw error;
    }
  }

  /** Creates the storage of a slot written for the first time (within the writing transaction). */
  protected abstract createSlot(db: SqliteTx, slot: ProjectionSlot): void;
  /** Drops all data of a slot (within the activating transaction). */
  protected abstract dropSlot(db: SqliteTx, slot: ProjectionSlot): void;
  /** What a projection's handlers get to change the slot's read model inside a transaction on `db`. */
  protected abstract handle(db: SqliteTx, slot: ProjectionSlot): Tx;

  protected slots(db: SqliteTx = this.db): SlotStatements {
    let found = this.#statements.get(db);
    if (found === undefined) {
      found = new SlotStatements(db);
      this.#statements.set(db, found);
    }
    return found;
  }

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    return (this.slots().checkpoint(slot) ?? 0) as GlobalPosition;
  }

  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: Tx) => void | Promise<void>,
  ): Promise<void> {
    this.transact(slot, from, to, () => {
      refusePromise(work(this.handle(this.db, slot)), `Projection ${slot.projection}`);
    });
  }

  /**
   * In one transaction: checks that the slot is at `from` (creating it on its first write), runs `write`, and
   * moves the checkpoint to `to`. Fails with CONCURRENCY_CONFLICT, changing nothing, when the slot has moved.
   */
  protected transact(slot: ProjectionSlot, from: GlobalPosition, to: GlobalPosition, write: () => void): void {
    inTransaction(
      this.db,
      () => {
        const at = this.#open(this.db, slot);
        if (at !== from) {
          throw new TwofoldError(
            'CONCURRENCY_CONFLICT',
            `Projection ${slot.projection}@${slot.version} is at ${at}, not ${from}: another runner applied these events`,
          );
        }
        write();
        this.slots().advance(slot, to);
      },
      `Projection ${slot.projection}`,
    );
  }

  applyWithin(
    writeTx: SqliteTx,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: Tx) => void | Promise<void>,
  ): void {
    if (!sameDatabase(writeTx, this.db)) {
      throw new InvalidArgumentError(
        `${this.#owner}: projection ${slot.projection} can only apply inline when the read store is in the write store's file (${writeTx.name}), but it is in ${this.db.name}`,
      );
    }
    if (!writeTx.inTransaction) {
      throw new InvalidArgumentError(`${this.#owner}.applyWithin() must run inside the write store's transaction`);
    }
    const last = events.at(-1);
    if (last === undefined) return;
    this.#open(writeTx, slot);
    const tx = this.handle(writeTx, slot);
    for (const event of events) refusePromise(apply(event, tx), `Inline projection ${slot.projection}`);
    this.slots(writeTx).advance(slot, last.position);
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    return this.slots().active(projection);
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    inTransaction(
      this.db,
      () => {
        const slots = this.slots();
        this.#open(this.db, slot);
        slots.setActive(slot);
        for (const version of slots.versions(slot.projection)) {
          if (version === slot.version) continue;
          this.dropSlot(this.db, { projection: slot.projection, version });
          slots.remove(slot.projection, version);
        }
      },
      `${this.#owner}.activate()`,
    );
  }

  /** Closes the connection. Closing twice is harmless. */
  close(): void {
    closeDatabase(this.db);
  }

  // The slot's checkpoint, creating the slot (checkpoint 0) when it is written for the first time. Always inside a
  // write transaction, so that the slot found is still there when it is written: one statement for every batch
  // but the first.
  #open(db: SqliteTx, slot: ProjectionSlot): number {
    const slots = this.slots(db);
    const at = slots.checkpoint(slot);
    if (at !== undefined) return at;
    slots.create(slot);
    this.createSlot(db, slot);
    return 0;
  }
}
