import { TwofoldError } from '../errors/errors.js';
import type { RecordedEvent } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';
import type { InlineProjectionStore, ProjectionSlot, ProjectionStore } from '../projections/ports.js';
import { callback, type Protocol } from '../protocol/run.js';
import type { SlotData, SlotDialect } from './slot-dialect.js';

/**
 * A read store whose read models live in versioned projection slots: runners commit batches to it, and the write
 * store applies inline projections to it within its own transaction `WriteTx`.
 */
export type SlotReadStore<WriteTx, ProjectionTx> = ProjectionStore<ProjectionTx> &
  InlineProjectionStore<WriteTx, ProjectionTx>;

/** A projection slot's bookkeeping and its data, as the slot protocol takes them. */
export interface SlotStorage<Tx, ProjectionTx> {
  readonly slots: SlotDialect<Tx>;
  readonly data: SlotData<Tx, ProjectionTx>;
}

/**
 * The slot's checkpoint, creating the slot (checkpoint 0, and its storage) when it is written for the first time.
 * Inside a write transaction, so that the slot found is still there when it is written: one call for every batch
 * but the first.
 */
export function* openSlot<Tx, ProjectionTx>(
  storage: SlotStorage<Tx, ProjectionTx>,
  tx: Tx,
  slot: ProjectionSlot,
): Protocol<number> {
  const at: number | undefined = yield storage.slots.checkpoint(tx, slot);
  if (at !== undefined) return at;
  const created: boolean = yield storage.slots.create(tx, slot);
  if (created) yield storage.data.create(tx, slot);
  // Created here or by a transaction that committed meanwhile: read (and lock) it again.
  const now: number | undefined = yield storage.slots.checkpoint(tx, slot);
  return now ?? 0;
}

/** What a projection does to its slot in one batch. */
export interface SlotBatch<ProjectionTx> {
  /** The projection version whose data and checkpoint the batch changes. */
  readonly slot: ProjectionSlot;
  /** The checkpoint the slot must be at; the batch fails with CONCURRENCY_CONFLICT otherwise. */
  readonly from: GlobalPosition;
  /** The checkpoint the slot moves to: the position of the batch's last event. */
  readonly to: GlobalPosition;
  /** Applies the batch's events through the slot's projection transaction (a document transaction, or the connection). */
  readonly work: (projectionTx: ProjectionTx) => void | Promise<void>;
}

/**
 * Inside one write transaction: checks that the slot is at `from` (creating it on its first write), runs `work`,
 * and moves the checkpoint to `to`. Fails with CONCURRENCY_CONFLICT, changing nothing, when the slot has moved.
 *
 * @example
 * db.transaction(() => runSync(commitSlot(storage, db, { slot, from, to, work })));
 */
export function* commitSlot<Tx, ProjectionTx>(
  storage: SlotStorage<Tx, ProjectionTx>,
  tx: Tx,
  batch: SlotBatch<ProjectionTx>,
): Protocol<void> {
  const { slot, from, to } = batch;
  const at = yield* openSlot(storage, tx, slot);
  if (at !== from) {
    throw new TwofoldError(
      'CONCURRENCY_CONFLICT',
      `Projection ${slot.projection}@${slot.version} is at ${at}, not ${from}: another runner applied these events`,
    );
  }
  const projectionTx = storage.data.projectionTx(tx, slot);
  try {
    yield callback(batch.work(projectionTx), `Projection ${slot.projection}`);
  } finally {
    if (storage.data.settle !== undefined) yield storage.data.settle(projectionTx);
  }
  yield storage.slots.advance(tx, slot, to, false);
}

/**
 * Applies `events` to the slot inside the write store's transaction `tx` (an inline projection) and moves the
 * checkpoint to the last of them: the read model commits with the command, or not at all.
 */
export function* applyInline<Tx, ProjectionTx>(
  storage: SlotStorage<Tx, ProjectionTx>,
  tx: Tx,
  slot: ProjectionSlot,
  events: readonly RecordedEvent[],
  apply: (event: RecordedEvent, projectionTx: ProjectionTx) => void | Promise<void>,
): Protocol<void> {
  const last = events.at(-1);
  if (last === undefined) return;
  // The slot's row stays locked from here until the commit ends (on PostgreSQL), so commits take turns here even
  // when none took the slot's turn before writing its events: moving the checkpoint first locks the row and moves
  // it in one statement, where reading it now and writing it after the events would take two.
  const moved: boolean = yield storage.slots.advance(tx, slot, last.position, true);
  if (!moved) {
    yield* openSlot(storage, tx, slot);
    yield storage.slots.advance(tx, slot, last.position, true);
  }
  const projectionTx = storage.data.projectionTx(tx, slot);
  try {
    for (const event of events) yield callback(apply(event, projectionTx), `Inline projection ${slot.projection}`);
  } finally {
    if (storage.data.settle !== undefined) yield storage.data.settle(projectionTx);
  }
}

/**
 * Inside one write transaction: makes `slot` the version queries read (creating it when it is new), then drops
 * the data of every other version of the projection.
 */
export function* activateSlot<Tx, ProjectionTx>(
  storage: SlotStorage<Tx, ProjectionTx>,
  tx: Tx,
  slot: ProjectionSlot,
): Protocol<void> {
  yield* openSlot(storage, tx, slot);
  yield storage.slots.setActive(tx, slot);
  const versions: readonly number[] = yield storage.slots.versions(tx, slot.projection);
  for (const version of versions) {
    if (version === slot.version) continue;
    const other = { projection: slot.projection, version };
    yield storage.data.drop(tx, other);
    yield storage.slots.remove(tx, other);
  }
}
