import { type GlobalPosition, InvalidArgumentError, type ProjectionSlot, type RecordedEvent } from '@twofold/core';
import {
  activateSlot,
  applyInline,
  commitSlot,
  type ProjectionRef,
  projectionName,
  runAsync,
  type SlotReadStore,
  type SlotStorage,
} from '@twofold/core/adapters';
import { type PostgresClient, type SchemaPool, toNumber } from '../connection/schema-pool.js';
import { postgresSlots, takeSlotTurn } from './slot-dialect.js';

export { type ProjectionRef, projectionName };

function checkSlot(slot: ProjectionSlot): void {
  projectionName(slot?.projection);
  if (!Number.isSafeInteger(slot.version) || slot.version < 1 || slot.version > 2_147_483_647) {
    throw new InvalidArgumentError(
      `A projection version must be an integer >= 1; got ${String(slot.version)} for '${slot.projection}'`,
    );
  }
}

/**
 * A read store whose read models live in versioned projection slots, as the PostgreSQL read stores share it:
 * core's slot protocol (check the checkpoint, write, advance; activate a version and drop the others) on this
 * schema's slots, the slot's row locked for the length of a batch so that two nodes never apply the same batch.
 * A subclass says what a slot's data is.
 */
export abstract class VersionedReadStore<ProjectionTx> implements SlotReadStore<PostgresClient, ProjectionTx> {
  protected readonly db: SchemaPool;
  readonly #owner: string;
  readonly #storage: SlotStorage<PostgresClient, ProjectionTx>;

  protected constructor(db: SchemaPool, owner: string) {
    this.db = db;
    this.#owner = owner;
    this.#storage = {
      slots: postgresSlots(db),
      data: {
        create: (tx, slot) => this.createSlot(tx, slot),
        drop: (tx, slot) => this.dropSlot(tx, slot),
        projectionTx: (tx, slot) => this.projectionTx(tx, slot),
        settle: (projectionTx) => this.settle(projectionTx),
      },
    };
  }

  /** Creates the storage of a slot written for the first time (within the writing transaction). */
  protected abstract createSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void>;
  /** Drops all data of a slot (within the activating transaction). */
  protected abstract dropSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void>;
  /** What a projection's handlers get to change the slot's read model inside a transaction. */
  protected abstract projectionTx(tx: PostgresClient, slot: ProjectionSlot): ProjectionTx;
  /** Waits for writes the projection transaction has sent without awaiting, failing with the first that failed. */
  protected abstract settle(projectionTx: ProjectionTx): Promise<void>;

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    checkSlot(slot);
    const { rows } = await this.db.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM twofold_projection_slots WHERE projection = $1 AND version = $2',
      [slot.projection, slot.version],
    );
    return toNumber(rows[0]?.checkpoint) as GlobalPosition;
  }

  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (projectionTx: ProjectionTx) => void | Promise<void>,
  ): Promise<void> {
    checkSlot(slot);
    await this.db.transaction((tx) => runAsync(commitSlot(this.#storage, tx, { slot, from, to, work })));
  }

  /**
   * Applies `events` inline, in the write store's transaction `writeTx`: the read model and its checkpoint commit
   * with the command, or not at all. The write store must be the `events` of this store's database handle.
   */
  async applyWithin(
    writeTx: PostgresClient,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, projectionTx: ProjectionTx) => void | Promise<void>,
  ): Promise<void> {
    this.#checkWithin(writeTx, slot, 'applyWithin');
    // Commits take the slot's lock in their own order, not their positions': the checkpoint never moves back.
    await runAsync(applyInline(this.#storage, writeTx, slot, events, apply));
  }

  /**
   * Takes the slot's turn in the write store's transaction `writeTx` before it writes its events, until it ends:
   * commits that apply the slot's projection wait here, without a transaction id, so that no reader waits for them.
   */
  async takeTurn(writeTx: PostgresClient, slot: ProjectionSlot): Promise<void> {
    this.#checkWithin(writeTx, slot, 'takeTurn');
    await takeSlotTurn(writeTx, this.db.schema, slot);
  }

  #checkWithin(writeTx: PostgresClient, slot: ProjectionSlot, method: string): void {
    checkSlot(slot);
    if (!this.db.runs(writeTx)) {
      throw new InvalidArgumentError(
        `${this.#owner}.${method}(): the transaction is not one of this store's database handle: apply inline with the read stores of the handle whose events the command writes`,
      );
    }
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    return this.#storage.slots.activeVersion(projectionName(projection));
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    checkSlot(slot);
    await this.db.transaction((tx) => runAsync(activateSlot(this.#storage, tx, slot)));
  }

  protected get owner(): string {
    return this.#owner;
  }
}
