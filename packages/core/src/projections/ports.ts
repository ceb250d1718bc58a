import type { GlobalPosition } from '../positions/position.js';
import type { ProjectedEvent } from './projection.js';

/** The event log as a projection runner reads it: everything, in global order, in batches. */
export interface EventFeed {
  /** Up to `limit` events with a position greater than `after`, in order. */
  readAll(after: GlobalPosition, limit: number): Promise<readonly ProjectedEvent[]>;
  /** Resolves once an event after `after` exists (at once if one does); rejects when `signal` aborts. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void>;
  /** The position of the last event in the log (START when empty). */
  head(): Promise<GlobalPosition>;
}

/**
 * Where a projection keeps its read model and its checkpoint, changed together in one transaction so that a
 * crash can neither lose nor double-apply an event.
 */
export interface ProjectionStore<Tx = unknown> {
  /** The position up to which `projection` has applied events, or START. */
  checkpoint(projection: string): Promise<GlobalPosition>;
  /**
   * In one transaction: runs `work` (which changes the read model through `tx`) and moves the checkpoint of
   * `projection` from `from` to `to`. Fails, changing nothing, when the stored checkpoint is not `from`
   * (another runner got there first).
   */
  commit(
    projection: string,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: Tx) => void | Promise<void>,
  ): Promise<void>;
}
