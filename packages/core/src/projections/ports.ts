import type { RecordedEvent } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';

/** The event log as a projection runner reads it: everything, in global order, in batches. */
export interface EventFeed {
  /** Up to `limit` events with a position greater than `after`, in order. */
  readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]>;
  /** Resolves once an event after `after` exists (at once if one does); rejects when `signal` aborts. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void>;
  /** The position of the last event in the log (START when empty). */
  head(): Promise<GlobalPosition>;
  /**
   * The highest position the log may have handed out so far: no committed event, visible to readers yet or not,
   * is above it. Equal to `head()` where positions are assigned in commit order (in memory, SQLite); above it on
   * PostgreSQL, where a committed event may still be hidden behind an older transaction. With it, a wait for a
   * position above the ceiling fails at once (POSITION_AHEAD_OF_LOG) instead of timing out.
   */
  ceiling?(): Promise<GlobalPosition>;
  /**
   * Number of events after `after` up to and including `upTo`, for lag and progress reports. Only needed when
   * positions have gaps (PostgreSQL); without it, the difference of the two positions is the count.
   */
  countBetween?(after: GlobalPosition, upTo: GlobalPosition): Promise<number>;
  /**
   * The unfinished write that keeps committed events after it from readers, if one does now. Only for stores whose
   * readers wait for slower writers (PostgreSQL); lag reports show it as `heldBy`.
   */
  heldBy?(): Promise<HeldBy | undefined>;
}

/**
 * A write still in progress that holds readers back: the events committed after it stay out of `readAll` and
 * `head` until it ends.
 *
 * @example
 * const held = await store.heldBy?.();
 * if (held) console.warn(`readers wait for transaction ${held.xid} (server process ${held.pid})`);
 */
export interface HeldBy {
  /** The database server process of the writing session. */
  readonly pid: number;
  /** The writing transaction's id. */
  readonly xid: number;
  /** When the writing transaction began, in ms since the epoch. */
  readonly since: number;
}

/** Number of events in `feed` after `after` up to `upTo`; see {@link EventFeed.countBetween}. */
export function eventsBetween(feed: EventFeed, after: GlobalPosition, upTo: GlobalPosition): Promise<number> | number {
  if (upTo <= after) return 0;
  return feed.countBetween?.(after, upTo) ?? upTo - after;
}

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
 * both live in one database. On SQLite and in memory `apply` must finish synchronously, as the transaction
 * cannot wait; on PostgreSQL it may await.
 */
export interface InlineProjectionStore<WriteTx, Tx> {
  /** Applies `events` to `slot` and moves its checkpoint to the last one, within `writeTx`. */
  applyWithin(
    writeTx: WriteTx,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: Tx) => void | Promise<void>,
  ): void | Promise<void>;
}
