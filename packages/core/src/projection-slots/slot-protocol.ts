import { TwofoldError } from '../errors/errors.js';
import type { RecordedEvent } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';
import type { ProjectionSlot } from '../projections/ports.js';
import { callback, type Protocol } from '../protocol/run.js';
import type { SlotData, SlotDialect } from './slot-dialect.js';

/** A projection slot's bookkeeping and its data, as the slot protocol takes them. */
export interface SlotStorage<Tx, Handle> {
  readonly slots: SlotDialect<Tx>;
  readonly data: SlotData<Tx, Handle>;
}

/**
 * The slot's checkpoint, creating the slot (checkpoint 0, and its storage) when it is written for the first time.
 * Inside a write transaction, so that the slot found is still there when it is written: one call for every batch
 * but the first.
 */
export function* openSlot<Tx, Handle>(
  storage: SlotStorage<Tx, Handle>,
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
export interface SlotBatch<Handle> {
  /** The projection version whose data and checkpoint the batch changes. */
  readonly slot: ProjectionSlot;
  /** The checkpoint the slot must be at; the batch fails with CONCURRENCY_CONFLICT otherwise. */
  readonly from: GlobalPosition;
  /** The checkpoint the slot moves to: the position of the batch's last event. */
  readonly to: GlobalPosition;
  /** Applies the batch's events through the slot's handle (a document transaction, or the connection). */
  readonly work: (handle: Handle) => void | Promise<void>;
}

/**
 * Inside one write transaction: checks that the slot is at `from` (creating it on its first write), runs `work`,
 * and moves the checkpoint to `to`. Fails with CONCURRENCY_CONFLICT, changing nothing, when the slot has moved.
 *
 * @example
 * db.transaction(() => runSync(commitSlot(storage, db, { slot, from, to, work })));
 */
export function* commitSlot<Tx, Handle>(
  storage: SlotStorage<Tx, Handle>,
  tx: Tx,
  batch: SlotBatch<Handle>,
): Protocol<void> {
  const { slot, from, to } = batch;
  const at = yield* openSlot(storage, tx, slot);
  if (at !== from) {
    throw new TwofoldError(
      'CONCURRENCY_CONFLICT',
      `Projection ${slot.projection}@${slot.version} is at ${at}, not ${from}: another runner applied these events`,
    );
  }
  const handle = storage.data.handle(tx, slot);
  try {
    yield callback(batch.work(handle), `Projection ${slot.projection}`);
  } finally {
    if (storage.data.settle !== undefined) yield storage.data.settle(handle);
  }
  yield storage.slots.advance(tx, slot, to, false);
}

/**
 * Applies `events` to the slot inside the write store's transaction `tx` (an inline projection) and moves the
 * checkpoint to the last of them: the read model commits with the command, or not at all.
 */
export function* applyInline<Tx, Handle>(
  storage: SlotStorage<Tx, Handle>,
  tx: Tx,
  slot: ProjectionSlot,
  events: readonly RecordedEvent[],
  apply: (event: RecordedEvent, handle: Handle) => void | Promise<void>,
): Protocol<void> {
  const last = events.at(-1);
  if (last === undefined) return;
  yield* openSlot(storage, tx, slot);
  const handle = storage.data.handle(tx, slot);
  try {
    for (const event of events) yield callback(apply(event, handle), `Inline projection ${slot.projection}`);
  } finally {
    if (storage.data.settle !== undefined) yield storage.data.settle(handle);
  }
  yield storage.slots.advance(tx, slot, last.position, true);
}

/**
 * Inside one write transaction: makes `slot` the version queries read (creating it when it is new), then drops
 * the data of every other version of the projection.
 */
export function* activateSlot<Tx, Handle>(
  storage: SlotStorage<Tx, Handle>,
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
