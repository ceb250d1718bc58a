import type { ProjectionSlot } from '../projections/ports.js';
import type { Step } from '../protocol/run.js';

/**
 * The slot bookkeeping of one database: a checkpoint per projection slot, and which version of each projection
 * queries read. Every call but {@link SlotDialect.activeVersion} runs inside the write transaction `tx`.
 */
export interface SlotDialect<Tx> {
  /**
   * The slot's checkpoint, undefined when the slot was never written. Where writers can run at once
   * (PostgreSQL), it also locks the slot's row until the transaction ends.
   */
  checkpoint(tx: Tx, slot: ProjectionSlot): Step<number | undefined>;
  /** Records the slot at checkpoint 0 unless it exists; true when this call created it. */
  create(tx: Tx, slot: ProjectionSlot): Step<boolean>;
  /**
   * Moves the slot's checkpoint to `to`; false when the slot was never written, and nothing moved. With `neverBack`
   * (inline projections) a checkpoint already past `to` stays: where commits can take the slot's lock out of their
   * positions' order (PostgreSQL), the later position may have committed first. Where writers can run at once, it
   * locks the slot's row until the transaction ends, as {@link SlotDialect.checkpoint} does.
   */
  advance(tx: Tx, slot: ProjectionSlot, to: number, neverBack: boolean): Step<boolean>;
  /** The version queries read, undefined before any was activated (outside any transaction). */
  activeVersion(projection: string): Step<number | undefined>;
  /** Makes `slot` the version queries read. */
  setActive(tx: Tx, slot: ProjectionSlot): Step<void>;
  /** Every version of `projection` that has a slot. */
  versions(tx: Tx, projection: string): Step<readonly number[]>;
  /** Forgets the slot (its data was dropped). */
  remove(tx: Tx, slot: ProjectionSlot): Step<void>;
}

/**
 * What one kind of read store keeps in a slot (documents, plain tables): how to create it, drop it, and what a
 * projection's handlers get to change it.
 */
export interface SlotData<Tx, ProjectionTx> {
  /** Creates the storage of a slot written for the first time. */
  create(tx: Tx, slot: ProjectionSlot): Step<void>;
  /** Drops all data of a slot. */
  drop(tx: Tx, slot: ProjectionSlot): Step<void>;
  /** What a projection's handlers get to change the slot's read model inside `tx`. */
  projectionTx(tx: Tx, slot: ProjectionSlot): ProjectionTx;
  /** Waits for writes the projection transaction sent without awaiting, failing with the first that failed. */
  settle?(projectionTx: ProjectionTx): Step<void>;
}
